#!/usr/bin/python
# -*- coding: utf-8 -*-
# The documentation of the action plugin plugins/action/etcd_certs.py (it runs on the control machine and installs
# with the module private_files).
# MIT License (see the rundock repository).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: etcd_certs
short_description: An etcd CA and a host's certificates, made on the control machine and installed on the host
version_added: "1.0.0"
description:
  - On the control machine, in I(pki_dir) (made 0700, with a C(.gitignore) of C(*)), with C(openssl) (argument lists,
    no shell) - the CA (once, EC P-256, C(ca.key) and C(ca.crt)), etcd's root user's client certificate (C(root.crt),
    CN C(root)) and each of I(certs). Hosts run in parallel; the CA is made under a file lock.
  - A certificate is made when it is missing; made again with a new key when what it says (CN, usage, names) changed
    or its key was removed; signed again with the same key when it expires within I(renew_days), was signed by
    another CA (a new CA) or its C(.crt) was removed. Otherwise nothing is touched, so a second run changes nothing.
  - Then I(directories) and I(files) are installed on the host in one request (the module
    C(rundock.rundock.private_files) - atomic writes, contents never shown). C(installed) names the C(group) of every
    file or folder that changed, for handlers.
  - Check mode makes and writes nothing and reports what would change; diff mode lists it.
  - The role C(rundock.rundock.host) uses it (docs/security.md in the rundock repository).
options:
  pki_dir:
    description: Absolute folder on the control machine.
    type: path
    required: true
  ca_subject:
    description: The CA's common name.
    type: str
    default: rundock etcd CA
  ca_days:
    description: The CA's lifetime when it is made, in days.
    type: int
    default: 3650
  cert_days:
    description: Each certificate's lifetime, in days; more than I(renew_days).
    type: int
    default: 825
  renew_days:
    description: A certificate that expires within this many days is signed again.
    type: int
    default: 30
  certs:
    description:
      - Certificates, each C(name) (its files are C(name.key), C(.csr), C(.crt), C(.ext)), C(dir) (relative to
        I(pki_dir)), C(cn), C(usage) (extendedKeyUsage, e.g. C(clientAuth)) and optionally C(san) (subjectAltName, e.g.
        C(IP:10.0.0.11)).
    type: list
    elements: dict
    default: []
  directories:
    description: Folders on the host, each C(path), C(mode), optionally C(owner), and C(group) (a name for C(installed)).
    type: list
    elements: dict
    default: []
  files:
    description:
      - Files on the host, each C(src) (relative to I(pki_dir)), C(dest), C(mode), optionally C(owner), and C(group).
    type: list
    elements: dict
    default: []
author:
  - rundock maintainers (@rundock)
'''

EXAMPLES = r'''
- rundock.rundock.etcd_certs:
    pki_dir: /home/ops/cluster/rundock-pki
    certs: [{name: agent, dir: hosts/node-1, cn: rundock-agent-node-1, usage: clientAuth}]
    directories: [{path: /etc/rundock/etcd, mode: "0700", group: agent}]
    files:
      - {src: ca.crt, dest: /etc/rundock/etcd/ca.crt, mode: "0644", group: agent}
      - {src: hosts/node-1/agent.key, dest: /etc/rundock/etcd/agent.key, mode: "0600", group: agent}
'''

RETURN = r'''
made:
  description: The certificates made or signed again on the control machine (paths relative to I(pki_dir)).
  returned: always
  type: list
  elements: str
installed:
  description: The groups of the files and folders that changed on the host.
  returned: always
  type: list
  elements: str
'''
