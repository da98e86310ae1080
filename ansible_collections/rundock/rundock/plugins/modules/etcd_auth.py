#!/usr/bin/python
# -*- coding: utf-8 -*-
# rundock Ansible module: etcd users and roles (and auth enabled) as declared, through etcdctl.
# MIT License (see the rundock repository).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: etcd_auth
short_description: etcd v3 roles, users and authentication, as declared
version_added: "1.0.0"
description:
  - Makes etcd's roles and users what the task declares, through C(etcdctl) as etcd's root user (an argument list,
    never a shell). Each declared role gets exactly the declared permissions (missing ones granted, others revoked).
    Each declared user exists and has exactly the declared roles; a new user has no password (C(--no-password)), so
    etcd knows it by the CN of its client certificate (etcd's C(--client-cert-auth)). Roles and users that are not
    declared are left alone.
  - With I(enable), the C(root) user (with the C(root) role) exists and authentication is enabled.
  - Reports C(changed) truthfully, with check mode and diff mode. Used by the role C(rundock.rundock.host);
    docs/security.md in the rundock repository has the roles it declares.
requirements:
  - etcdctl (etcd 3.4 or later) on the host the task runs on, reaching I(endpoints)
author:
  - rundock maintainers (@rundock)
options:
  endpoints:
    description: etcd client URLs.
    type: list
    elements: str
    required: true
  cacert:
    description: CA certificate that signed etcd's server certificates.
    type: path
  cert:
    description: Client certificate of etcd's C(root) user (CN C(root)).
    type: path
  key:
    description: Private key of I(cert).
    type: path
  roles:
    description:
      - Role name to its permissions, each C(key), C(prefix) (true - every key starting with C(key)) and
        C(permission) (C(read), C(write) or C(readwrite)).
    type: dict
    default: {}
  users:
    description: User name to the names of its roles (one name, or a list).
    type: dict
    default: {}
  enable:
    description: The C(root) user exists and authentication is enabled.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for etcd to answer (a cluster that has just started elects a leader first).
    type: int
    default: 60
'''

EXAMPLES = r'''
- rundock.rundock.etcd_auth:
    endpoints: [https://10.0.0.11:2379]
    cacert: /etc/etcd/pki/ca.crt
    cert: /etc/etcd/pki/root.crt
    key: /etc/etcd/pki/root.key
    roles:
      rundock-dns-node-front-1:
        - {key: /skydns/com/example/prod/s/, prefix: true, permission: read}
    users:
      rundock-dns-node-front-1: [rundock-dns-node-front-1]
'''

RETURN = r'''
actions:
  description: The etcdctl commands run (in check mode - that would run), without the connection options.
  returned: always
  type: list
  elements: str
'''

import base64
import json
import time

from ansible.module_utils.basic import AnsibleModule

PERMISSIONS = ('read', 'write', 'readwrite')
# etcd's Permission.Type in JSON: READ is 0, so left out.
PERMISSION_OF_TYPE = {0: 'read', 1: 'write', 2: 'readwrite'}
# etcd's answers to a login when authentication is off, and when it is on (the probe's user does not exist).
AUTH_OFF = 'authentication is not enabled'
AUTH_ON = 'authentication failed'
PROBE_USER = 'rundock-auth-probe:none'


class Etcdctl(object):
    '''etcdctl with the connection options; every call an argument list.'''

    def __init__(self, module):
        self.module = module
        p = module.params
        self.base = [module.get_bin_path('etcdctl', required=True), '--endpoints', ','.join(p['endpoints']),
                     '--dial-timeout', '3s', '--command-timeout', '10s']
        for flag in ('cacert', 'cert', 'key'):
            if p[flag]:
                self.base += ['--' + flag, p[flag]]
        self.actions = []

    def run(self, args, check=True):
        rc, out, err = self.module.run_command(self.base + args, environ_update={'ETCDCTL_API': '3'})
        if check and rc != 0:
            self.module.fail_json(msg='etcdctl %s failed: %s' % (' '.join(args), (err or out).strip()), rc=rc)
        return rc, out, err

    def json(self, args):
        return json.loads(self.run(args + ['-w', 'json'])[1] or '{}')

    def change(self, args):
        self.actions.append(' '.join(args))
        if not self.module.check_mode:
            self.run(args)


def wait_for_etcd(ctl, timeout):
    '''Waits until etcd answers a request as root; fails with etcdctl's last message after `timeout` seconds.'''
    deadline = time.time() + timeout
    while True:
        rc, out, err = ctl.run(['user', 'list'], check=False)
        if rc == 0:
            return
        if time.time() >= deadline:
            ctl.module.fail_json(msg='etcd did not answer within %ds: %s' % (timeout, (err or out).strip()))
        time.sleep(1)


def range_end_of_prefix(key):
    '''etcd's range end of a prefix (clientv3.GetPrefixRangeEnd): the last byte below 0xff incremented.'''
    data = bytearray(key.encode('utf-8'))
    for i in range(len(data) - 1, -1, -1):
        if data[i] < 0xff:
            data[i] += 1
            return bytes(data[:i + 1])
    return b'\x00'


def wanted_permissions(role, permissions, module):
    '''{(key, range_end): permission} of a role's declared permissions.'''
    wanted = {}
    for p in permissions:
        if not isinstance(p, dict) or not p.get('key') or p.get('permission') not in PERMISSIONS:
            module.fail_json(msg='roles.%s: each permission needs key and permission (%s), got %r'
                             % (role, ', '.join(PERMISSIONS), p))
        key = str(p['key'])
        end = range_end_of_prefix(key) if module.boolean(p.get('prefix', False)) else b''
        wanted[(key.encode('utf-8'), end)] = p['permission']
    return wanted


def current_permissions(ctl, role):
    '''{(key, range_end): permission} of a role in etcd.'''
    perms = ctl.json(['role', 'get', role]).get('perm') or []
    decode = lambda v: base64.b64decode(v) if v else b''
    return dict(((decode(p.get('key')), decode(p.get('range_end'))), PERMISSION_OF_TYPE[p.get('permType', 0)])
                for p in perms)


def grant_args(role, key, end, permission):
    if end == b'':
        return ['role', 'grant-permission', role, permission, key.decode('utf-8')]
    if end == range_end_of_prefix(key.decode('utf-8')):
        return ['role', 'grant-permission', '--prefix=true', role, permission, key.decode('utf-8')]
    return ['role', 'grant-permission', role, permission, key.decode('utf-8'), end.decode('utf-8')]


def revoke_args(role, key, end):
    args = ['role', 'revoke-permission', role, key.decode('utf-8')]
    return args + [end.decode('utf-8')] if end else args


def shown(perms):
    '''Permissions as diff text: "readwrite /skydns/x/ (prefix)".'''
    out = []
    for (key, end), permission in sorted(perms.items()):
        suffix = '' if end == b'' else ' (prefix)' if end == range_end_of_prefix(key.decode('utf-8')) else (
            ' .. ' + end.decode('utf-8', 'replace'))
        out.append('%s %s%s' % (permission, key.decode('utf-8', 'replace'), suffix))
    return out


def ensure_role(ctl, role, permissions, existing, diff):
    wanted = wanted_permissions(role, permissions, ctl.module)
    have = {}
    if role in existing:
        have = current_permissions(ctl, role)
    else:
        ctl.change(['role', 'add', role])
    diff['before']['roles'][role] = shown(have) if role in existing else None
    diff['after']['roles'][role] = shown(wanted)
    for (key, end), permission in sorted(wanted.items()):
        if have.get((key, end)) != permission:
            ctl.change(grant_args(role, key, end, permission))
    for (key, end) in sorted(set(have) - set(wanted)):
        ctl.change(revoke_args(role, key, end))


def ensure_user(ctl, user, roles, existing, diff):
    have = []
    if user in existing:
        have = ctl.json(['user', 'get', user]).get('roles') or []
    else:
        ctl.change(['user', 'add', user, '--no-password'])
    diff['before']['users'][user] = sorted(have) if user in existing else None
    diff['after']['users'][user] = sorted(roles)
    for role in sorted(set(roles) - set(have)):
        ctl.change(['user', 'grant-role', user, role])
    for role in sorted(set(have) - set(roles)):
        ctl.change(['user', 'revoke-role', user, role])


def auth_enabled(ctl):
    '''Whether authentication is on: etcd 3.4 has no status request, so a login is tried with a user that is not.'''
    rc, out, err = ctl.run(['--user', PROBE_USER, 'get', '--keys-only', '--limit', '1', '/'], check=False)
    text = err + out
    if AUTH_OFF in text:
        return False
    if AUTH_ON in text:
        return True
    ctl.module.fail_json(msg='cannot tell whether etcd authentication is enabled: %s' % text.strip())


def ensure_enabled(ctl, users, diff):
    ensure_user(ctl, 'root', ['root'], users, diff)
    enabled = auth_enabled(ctl)
    diff['before']['auth'], diff['after']['auth'] = ('enabled' if enabled else 'disabled'), 'enabled'
    if not enabled:
        ctl.change(['auth', 'enable'])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            endpoints=dict(type='list', elements='str', required=True),
            cacert=dict(type='path'),
            cert=dict(type='path'),
            key=dict(type='path'),
            roles=dict(type='dict', default={}),
            users=dict(type='dict', default={}),
            enable=dict(type='bool', default=False),
            timeout=dict(type='int', default=60),
        ),
        required_together=[('cert', 'key')],
        supports_check_mode=True,
    )
    ctl = Etcdctl(module)
    wait_for_etcd(ctl, module.params['timeout'])
    existing_roles = ctl.json(['role', 'list']).get('roles') or []
    existing_users = ctl.json(['user', 'list']).get('users') or []
    diff = {'before': {'roles': {}, 'users': {}}, 'after': {'roles': {}, 'users': {}}}
    for role, permissions in sorted(module.params['roles'].items()):
        ensure_role(ctl, role, permissions or [], existing_roles, diff)
    for user, roles in sorted(module.params['users'].items()):
        ensure_user(ctl, user, [str(r) for r in (roles if isinstance(roles, list) else [roles])], existing_users, diff)
    if module.params['enable']:
        ensure_enabled(ctl, existing_users, diff)
    result = dict(changed=bool(ctl.actions), actions=ctl.actions)
    if module._diff:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
