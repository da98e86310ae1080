#!/usr/bin/python
# -*- coding: utf-8 -*-
# The documentation of the action plugin plugins/action/warn.py (it runs on the control machine only).
# MIT License (see the rundock repository).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: warn
short_description: Show an Ansible warning
version_added: "1.0.0"
description:
  - Shows I(msg) as an Ansible warning (C([WARNING] ...) in the output, counted with the play's warnings) and changes
    nothing. Runs on the control machine. The role C(rundock.rundock.host) warns this way when etcd runs over plain HTTP.
options:
  msg:
    description: The warning.
    type: str
    required: true
author:
  - rundock maintainers (@rundock)
'''

EXAMPLES = r'''
- rundock.rundock.warn:
    msg: etcd at http://10.0.0.11:2379 is plain HTTP
'''

RETURN = r'''
msg:
  description: The warning.
  returned: always
  type: str
'''
