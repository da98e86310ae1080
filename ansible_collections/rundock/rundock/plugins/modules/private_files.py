#!/usr/bin/python
# -*- coding: utf-8 -*-
# rundock Ansible module: files that hold secrets (private keys, certificates), many in one request, never shown.
# MIT License (see the rundock repository).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: private_files
short_description: Write files that hold secrets, many in one request, their contents never shown
version_added: "1.0.0"
description:
  - Makes each of I(directories) and I(files) exist with its mode (and owner); a file whose content, mode or owner
    differs is replaced atomically (a temporary file in the same folder, made with its final mode, then renamed), so
    a reader never sees it half written or readable by others. Contents are never shown (no_log), in the result
    neither; the diff lists the paths.
  - One module run for many files, where C(ansible.builtin.copy) takes one or two per file. The action
    C(rundock.rundock.etcd_certs) installs a host's etcd certificates with it.
author:
  - rundock maintainers (@rundock)
options:
  directories:
    description: Folders, each C(path), C(mode) (octal text) and optionally C(owner); made (with parents) if missing.
    type: list
    elements: dict
    default: []
  files:
    description: Files, each C(path), C(content), C(mode) (octal text) and optionally C(owner).
    type: list
    elements: dict
    default: []
'''

EXAMPLES = r'''
- rundock.rundock.private_files:
    directories: [{path: /etc/rundock/etcd, mode: "0700"}]
    files:
      - {path: /etc/rundock/etcd/agent.key, content: "{{ key }}", mode: "0600"}
'''

RETURN = r'''
changed_paths:
  description: The folders and files made or changed (in check mode - that would be).
  returned: always
  type: list
  elements: str
'''

import os
import pwd
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

ENTRY = dict(path=dict(type='path', required=True), mode=dict(type='str', required=True), owner=dict(type='str'))


# In check mode an owner may not exist yet (the package that makes the user is not installed): a change, then.
UNKNOWN_OWNER = -2


def wanted_owner(module, owner):
    if not owner:
        return None
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        if module.check_mode:
            return UNKNOWN_OWNER
        module.fail_json(msg='owner %s: no such user' % owner)


def mode_of(module, entry):
    try:
        return int(entry['mode'], 8)
    except ValueError:
        module.fail_json(msg='%s: mode must be octal text such as 0600 (got %s)' % (entry['path'], entry['mode']))


def ensure_directory(module, entry):
    '''Whether the folder was (or would be) made or changed.'''
    path, mode, uid = entry['path'], mode_of(module, entry), wanted_owner(module, entry.get('owner'))
    if os.path.isdir(path):
        st = os.stat(path)
        if st.st_mode & 0o7777 == mode and (uid is None or st.st_uid == uid):
            return False
    if not module.check_mode:
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        if uid is not None:
            os.chown(path, uid, -1)
    return True


def ensure_file(module, entry):
    '''Whether the file was (or would be) written or changed.'''
    path, mode, uid = entry['path'], mode_of(module, entry), wanted_owner(module, entry.get('owner'))
    content = to_bytes(entry['content'])
    if os.path.isfile(path) and not os.path.islink(path):
        st = os.stat(path)
        with open(path, 'rb') as f:
            same = f.read() == content
        if same and st.st_mode & 0o7777 == mode and (uid is None or st.st_uid == uid):
            return False
    if not module.check_mode:
        directory = os.path.dirname(path)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.')
        try:
            os.fchmod(fd, mode)
            if uid is not None:
                os.fchown(fd, uid, -1)
            with os.fdopen(fd, 'wb') as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.rename(temporary, path)
        except Exception:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type='list', elements='dict', default=[], options=ENTRY),
            files=dict(type='list', elements='dict', default=[],
                       options=dict(ENTRY, content=dict(type='str', required=True, no_log=True))),
        ),
        supports_check_mode=True,
    )
    changed = [d['path'] for d in module.params['directories'] if ensure_directory(module, d)]
    changed += [f['path'] for f in module.params['files'] if ensure_file(module, f)]
    result = dict(changed=bool(changed), changed_paths=changed)
    if module._diff:
        result['diff'] = dict(before='', after=''.join('%s (content not shown)\n' % p for p in changed))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
