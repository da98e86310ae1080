import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { etcdClientOptions, plainHttpEndpoints } from '../registry/etcd-connection.js';
import { ValidationError } from '../shared/errors.js';
import pino from 'pino';
import { etcdConnection, warnPlainEtcd } from './etcd-flags.js';

const dir = mkdtempSync(join(tmpdir(), 'rundock-etcd-flags-'));
const pw = (name: string, text: string): string => (writeFileSync(join(dir, name), text), join(dir, name));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('etcd connection settings', () => {
  it('takes each setting from flag, then environment, then config file', () => {
    const file = pw('flag.pw', 'from-file\n');
    const env = { RUNDOCK_ETCD: 'http://env:2379', RUNDOCK_ETCD_USER: 'env-user', RUNDOCK_ETCD_PASSWORD: 'env-pw' };
    const config = { etcd: ['http://a:2379', 'http://b:2379'], etcd_user: 'config-user' };
    assert.equal(etcdConnection({}, {}, {}), undefined);
    assert.deepEqual(etcdConnection({}, { etcd: config.etcd }, {}), { hosts: ['http://a:2379', 'http://b:2379'] });
    assert.deepEqual(etcdConnection({}, config, env), {
      hosts: ['http://env:2379'],
      auth: { user: 'env-user', password: 'env-pw' },
    });
    assert.deepEqual(
      etcdConnection({ etcd: 'flag:2379', etcdUser: 'flag-user', etcdPasswordFile: file }, config, env),
      { hosts: ['http://flag:2379'], auth: { user: 'flag-user', passwordFile: file } },
    );
    const options = etcdClientOptions({ hosts: ['http://x:2379'], auth: { user: 'u', passwordFile: file } });
    assert.deepEqual(options.auth, { username: 'u', password: 'from-file' });
  });

  it('refuses incomplete or contradictory settings, naming the setting (exit status 2)', () => {
    const cases: [Parameters<typeof etcdConnection>[0], NodeJS.ProcessEnv, string][] = [
      [{ etcd: 'http://a:2379', etcdUser: 'u' }, {}, 'etcd-password-file'],
      [{ etcd: 'http://a:2379' }, { RUNDOCK_ETCD_PASSWORD: 'x' }, 'etcd-user'],
      [{ etcd: 'http://a:2379', etcdCert: '/x.crt' }, {}, 'etcd-key'],
      [{ etcd: 'http://a:2379', etcdUser: 'u', etcdPasswordFile: join(dir, 'missing') }, {}, 'etcd-password-file'],
      [{ etcd: 'http://a:2379', etcdUser: 'u', etcdPasswordFile: pw('empty.pw', '\n') }, {}, 'etcd-password-file'],
      [{ etcd: 'http://a:2379,https://b:2379' }, {}, 'etcd'],
      [{ etcd: 'http://a:2379', etcdCacert: join(dir, 'missing.crt') }, {}, 'etcd-cacert'],
      [{ etcdUser: 'u' }, { RUNDOCK_ETCD_PASSWORD: 'x' }, 'etcd'],
      [{ etcd: 'http://a:2379' }, { RUNDOCK_ETCD_CACERT: join(dir, 'missing.crt') }, 'RUNDOCK_ETCD_CACERT'],
    ];
    for (const [flags, env, field] of cases) {
      assert.throws(
        () => etcdConnection(flags, {}, env),
        (e: unknown) => e instanceof ValidationError && e.field === field && e.exitCode === 2,
        `${JSON.stringify(flags)} ${JSON.stringify(env)}`,
      );
    }
  });

  it("takes a config section's etcd_* keys over the top level's for that command, flags and env over both", () => {
    const agentPw = pw('agent.pw', 'agent-secret\n');
    const gatewayPw = pw('gateway.pw', 'gateway-secret\n');
    const config = { etcd: 'http://a:2379', etcd_user: 'agent-1', etcd_password_file: agentPw };
    const section = { name: 'gateway', values: { etcd_user: 'gateway-1', etcd_password_file: gatewayPw } };
    assert.deepEqual(etcdConnection({}, config, {}, section), {
      hosts: ['http://a:2379'],
      auth: { user: 'gateway-1', passwordFile: gatewayPw },
    });
    assert.deepEqual(etcdConnection({}, config, {}, { name: 'dns', values: undefined })?.auth, {
      user: 'agent-1',
      passwordFile: agentPw,
    });
    assert.deepEqual(etcdConnection({ etcdUser: 'flag-user' }, config, {}, section)?.auth?.user, 'flag-user');
    assert.deepEqual(etcdConnection({}, config, { RUNDOCK_ETCD_USER: 'env-user' }, section)?.auth?.user, 'env-user');
    // An error names the section's key.
    assert.throws(
      () => etcdConnection({}, config, {}, { name: 'dns', values: { etcd_cert: join(dir, 'missing.crt') } }),
      (e: unknown) =>
        e instanceof ValidationError && e.field === 'etcd-key' && /dns\.etcd_cert in the config file/.test(e.message),
    );
  });

  it('names the plain http:// endpoints off loopback, which daemons warn about', () => {
    const hosts = ['http://10.0.0.1:2379', 'http://127.0.0.1:2379', 'http://localhost:2379', 'http://[::1]:2379'];
    assert.deepEqual(plainHttpEndpoints({ hosts }), ['http://10.0.0.1:2379']);
    assert.deepEqual(plainHttpEndpoints({ hosts: ['http://[fd00::1]:2379', 'http://etcd.internal:2379'] }), [
      'http://[fd00::1]:2379',
      'http://etcd.internal:2379',
    ]);
    assert.deepEqual(plainHttpEndpoints({ hosts: ['https://10.0.0.1:2379'], tls: {} }), []);
    const lines: { level: number; msg: string }[] = [];
    const log = pino({}, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
    warnPlainEtcd({ hosts: ['http://127.0.0.1:2379'] }, log);
    warnPlainEtcd(undefined, log);
    assert.equal(lines.length, 0);
    warnPlainEtcd({ hosts: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'] }, log);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.level, 40);
    assert.match(lines[0]?.msg ?? '', /^etcd at http:\/\/10\.0\.0\.1:2379,http:\/\/10\.0\.0\.2:2379 is plain HTTP/);
  });
});
