# -*- coding: utf-8 -*-
# rundock Ansible action plugin: the cluster's etcd CA and a host's certificates, made on the control machine with
# openssl, then installed on the host in one request (the module rundock.rundock.private_files).
# MIT License (see the rundock repository).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import os
import random
import subprocess

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

# EC P-256 keys: quick to make, accepted by etcd (Go) and rundock (Node.js). genpkey, req and x509 -req take the same
# options in OpenSSL 1.1, 3 and LibreSSL.
KEY = ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
ROOT = dict(name='root', cn='root', usage='clientAuth', dir='')
GITIGNORE = '# Private keys of the cluster\'s etcd CA and certificates (rundock.rundock.host): never commit them.\n*\n'


class Pki(object):
    '''The PKI folder on the control machine: the CA, etcd's root user's certificate, and a folder per host.'''

    def __init__(self, folder, check_mode, days, renew_days):
        self.folder = folder
        self.check_mode = check_mode
        self.days = days
        self.renew_seconds = renew_days * 86400
        self.made = []

    def path(self, *parts):
        return os.path.join(self.folder, *parts)

    def openssl(self, args):
        '''Runs openssl with ARGS (a list, no shell); its return code.'''
        try:
            done = subprocess.run(['openssl'] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        except OSError as e:
            raise AnsibleActionFail('openssl cannot be run on the control machine: %s' % e)
        return done.returncode, done.stderr.decode('utf-8', 'replace').strip()

    def must(self, args):
        rc, err = self.openssl(args)
        if rc != 0:
            raise AnsibleActionFail('openssl %s failed: %s' % (args[0], err))

    def ensure_ca(self, subject, ca_days):
        '''The folder (0700, never committed), the CA and root's certificate; under a lock: hosts run in parallel.'''
        if self.check_mode:
            if not os.path.exists(self.path('ca.crt')):
                self.made.append('ca.crt')
            return self.ensure_cert(ROOT)
        os.makedirs(self.path('hosts'), mode=0o700, exist_ok=True)
        os.chmod(self.folder, 0o700)
        with open(self.path('.lock'), 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            write_if_changed(self.path('.gitignore'), GITIGNORE)
            if not os.path.exists(self.path('ca.key')):
                self.must(KEY + ['-out', self.path('ca.key')])
            os.chmod(self.path('ca.key'), 0o600)
            if not os.path.exists(self.path('ca.crt')):
                self.must(['req', '-x509', '-new', '-sha256', '-key', self.path('ca.key'), '-subj', '/CN=' + subject,
                           '-days', str(ca_days), '-out', self.path('ca.crt')])
                self.made.append('ca.crt')
            self.ensure_cert(ROOT)

    def ensure_cert(self, cert):
        '''One certificate and its key: made when missing; made again (new key) when what it says changed, signed
        again (same key) when it expires within the renewal time or was signed by another CA.'''
        base = self.path(cert['dir'], cert['name'])
        label = os.path.join(cert['dir'], cert['name'] + '.crt')
        ext = extensions(cert)
        stale = read(base + '.ext') != ext
        if not stale and os.path.exists(base + '.key') and os.path.exists(base + '.crt') and self.current(base):
            return
        self.made.append(label)
        if self.check_mode:
            return
        os.makedirs(os.path.dirname(base), mode=0o700, exist_ok=True)
        if stale or not os.path.exists(base + '.key'):
            for suffix in ('.key', '.csr', '.crt'):
                if os.path.exists(base + suffix):
                    os.unlink(base + suffix)
            self.must(KEY + ['-out', base + '.key'])
        os.chmod(base + '.key', 0o600)
        if not os.path.exists(base + '.csr'):
            self.must(['req', '-new', '-sha256', '-key', base + '.key', '-subj', '/CN=' + cert['cn'], '-out',
                       base + '.csr'])
        write_if_changed(base + '.ext', ext)
        # A random serial: hosts sign in parallel, a shared serial file would race.
        self.must(['x509', '-req', '-sha256', '-in', base + '.csr', '-CA', self.path('ca.crt'), '-CAkey',
                   self.path('ca.key'), '-set_serial', str(random.SystemRandom().getrandbits(120) | 1),
                   '-days', str(self.days), '-extfile', base + '.ext', '-out', base + '.crt.new'])
        os.rename(base + '.crt.new', base + '.crt')

    def current(self, base):
        '''Signed by the CA as it is now (a new CA signs every certificate again) and valid beyond the renewal time.'''
        if not os.path.exists(self.path('ca.crt')):
            return False
        signed = self.openssl(['verify', '-CAfile', self.path('ca.crt'), base + '.crt'])[0] == 0
        lasting = self.openssl(['x509', '-noout', '-checkend', str(self.renew_seconds), '-in', base + '.crt'])[0] == 0
        return signed and lasting


def extensions(cert):
    '''The .ext file of a certificate; its first line records the subject, so a new name is a change too.'''
    lines = ['# subject /CN=%s' % cert['cn'], 'basicConstraints = CA:FALSE',
             'keyUsage = critical, digitalSignature, keyEncipherment', 'extendedKeyUsage = %s' % cert['usage']]
    if cert.get('san'):
        lines.append('subjectAltName = %s' % cert['san'])
    return '\n'.join(lines) + '\n'


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return None


def write_if_changed(path, text):
    if read(path) != text:
        with open(path + '.new', 'w') as f:
            f.write(text)
        os.chmod(path + '.new', 0o600)
        os.rename(path + '.new', path)


class ActionModule(ActionBase):
    '''Makes the CA (once, with etcd root's certificate) and CERTS on the control machine, then installs FILES (paths
    relative to the PKI folder) and DIRECTORIES on the host with rundock.rundock.private_files. Returns `made` (the
    certificates made) and `installed` (the `group` of every file or folder that changed on the host).'''

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('pki_dir', 'ca_subject', 'ca_days', 'cert_days', 'renew_days', 'certs', 'directories',
                             'files'))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        folder = args.get('pki_dir')
        if not isinstance(folder, str) or not os.path.isabs(folder):
            raise AnsibleActionFail('pki_dir must be an absolute folder on the control machine (got %r)' % folder)
        days, renew_days = int(args.get('cert_days', 825)), int(args.get('renew_days', 30))
        if days <= renew_days:
            raise AnsibleActionFail('cert_days (%d) must exceed renew_days (%d): every run would renew' % (
                days, renew_days))
        pki = Pki(folder, self._play_context.check_mode, days, renew_days)
        pki.ensure_ca(args.get('ca_subject', 'rundock etcd CA'), int(args.get('ca_days', 3650)))
        for cert in args.get('certs', []):
            pki.ensure_cert(cert)
        installed = self.install(pki, args.get('files', []), args.get('directories', []), task_vars)
        result.update(changed=bool(pki.made or installed), made=pki.made, installed=sorted(set(installed)))
        if self._play_context.diff and result['changed']:
            result['diff'] = dict(before='', after='made on the control machine: %s\nchanged on the host: %s\n' % (
                ', '.join(pki.made) or 'nothing', ', '.join(result['installed']) or 'nothing'))
        return result

    def install(self, pki, files, directories, task_vars):
        '''The groups of the files and folders that changed (in check mode: would) on the host.'''
        entries, missing = [], []
        for f in files:
            content = read(pki.path(f['src']))
            if content is None:
                missing.append(f)  # only in check mode: the certificate is not made yet
                continue
            entries.append(dict(path=f['dest'], content=content, mode=f['mode'], owner=f.get('owner')))
        if missing and not pki.check_mode:
            raise AnsibleActionFail('%s is missing on the control machine' % pki.path(missing[0]['src']))
        dirs = [dict(path=d['path'], mode=d['mode'], owner=d.get('owner')) for d in directories]
        done = self._execute_module(module_name='rundock.rundock.private_files', module_args=dict(
            files=entries, directories=dirs), task_vars=task_vars)
        if done.get('failed'):
            raise AnsibleActionFail('installing the certificates failed: %s' % done.get('msg'))
        changed = set(done.get('changed_paths', []))
        return [e['group'] for e in list(files) + list(directories) if e.get('dest', e.get('path')) in changed] + [
            f['group'] for f in missing]
