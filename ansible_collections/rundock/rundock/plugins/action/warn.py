# -*- coding: utf-8 -*-
# rundock Ansible action plugin: an Ansible warning ([WARNING]: ...) with a message, on the control machine.
# MIT License (see the rundock repository).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    '''Shows `msg` as an Ansible warning and changes nothing (the role warns this way about plain-HTTP etcd).'''

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('msg',))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        msg = self._task.args.get('msg')
        if not isinstance(msg, str) or not msg:
            return dict(result, failed=True, msg='warn: msg must be a non-empty string')
        return dict(result, changed=False, msg=msg, warnings=[msg])
