/**
 * etcd over TLS with client certificates, and etcd user/password auth, for every component: the agent announces a
 * real container, `rundock dns` answers, `rundock gateway` renders and `ps --all` lists the host, each through the
 * same settings given as flags, environment or config file. A wrong CA, an expired certificate and a wrong password
 * make the one-shot and serving commands fail with a message naming the problem; the agent keeps running and
 * retrying instead, and its containers keep running.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startAgent, waitFor, type AgentProcess } from '../agent-process.js';
import {
  ADDRESSES,
  BIN,
  freePort,
  httpdCmd,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundock,
  rundockJson,
  uniqueName,
} from '../harness.js';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { addressesOf, udpQuery } from '../dns/client.js';
import { startDnsProcess } from '../dns/dns-process.js';
import { startNginx } from '../gateway/nginx-process.js';
import { makeTestPki, type TestPki } from './certs.js';

const DOMAIN = 's.sec.example.com';
const AGENT_ARGS = [
  '--domain',
  DOMAIN,
  '--lease-ttl',
  '5',
  '--stable-after',
  '1s',
  '--resync-interval',
  '5s',
  ...ADDRESSES,
];
const run = promisify(execFile);
const created: string[] = [];
let pki: TestPki;
let tlsEtcd: EtcdProcess;
let authEtcd: EtcdProcess;
let service: { name: string; port: number };
const agents: AgentProcess[] = [];

const tlsFlags = (o: { ca?: string; cert?: string } = {}): string[] => [
  '--etcd-cacert',
  o.ca ?? pki.ca,
  '--etcd-cert',
  o.cert ?? pki.clientCert,
  '--etcd-key',
  pki.clientKey,
];
const recordKey = (host: string): string => `/skydns/com/example/sec/s/${service.name}/${host}`;

/** Runs etcdctl against the auth etcd (as root once auth is on). */
async function etcdctl(...args: string[]): Promise<void> {
  await run('etcdctl', ['--endpoints', authEtcd.endpoint, ...args]);
}

/** Least privilege as docs/security.md says: agents read-write, readers read-only, on /skydns/ and /rundock/. */
async function setUpAuth(): Promise<void> {
  await etcdctl('user', 'add', 'root:rootpw');
  for (const [role, perm] of [
    ['rundock-agent', 'readwrite'],
    ['rundock-reader', 'read'],
  ] as const) {
    await etcdctl('role', 'add', role);
    for (const prefix of ['/skydns/', '/rundock/'])
      await etcdctl('role', 'grant-permission', role, '--prefix=true', perm, prefix);
  }
  await etcdctl('user', 'add', 'agent:agentpw');
  await etcdctl('user', 'grant-role', 'agent', 'rundock-agent');
  await etcdctl('user', 'add', 'reader:readerpw');
  await etcdctl('user', 'grant-role', 'reader', 'rundock-reader');
  await etcdctl('auth', 'enable');
}

before(async () => {
  pki = await makeTestPki();
  [tlsEtcd, authEtcd] = await Promise.all([
    startEtcd({
      tls: {
        certFile: pki.serverCert,
        keyFile: pki.serverKey,
        clientCA: pki.ca,
        check: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey },
      },
    }),
    startEtcd(),
  ]);
  await setUpAuth();
  await writeFile(join(pki.dir, 'agent.pw'), 'agentpw\n', { mode: 0o600 });
  await writeFile(join(pki.dir, 'wrong.pw'), 'not-it\n', { mode: 0o600 });
  service = { name: uniqueName('sec'), port: await freePort() };
  created.push(service.name);
  const enabled = await rundockJson([
    'enable',
    service.name,
    '--image',
    IMAGE,
    '--cmd',
    httpdCmd(),
    '--announce',
    String(service.port),
    '--port',
    '8080',
    ...ADDRESSES,
  ]);
  assert.equal(enabled.code, 0, enabled.stdout);
});

after(async () => {
  await Promise.all(agents.map((a) => a.stop('SIGKILL')));
  await removeContainers(...created);
  await Promise.all([tlsEtcd?.kill(), authEtcd?.kill()]);
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

/** Starts an agent (after stopping the one before) and remembers it for `after`. */
async function agent(args: string[], env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
  // One agent per Docker engine: the test's agents run one at a time.
  await Promise.all(agents.splice(0).map((a) => a.stop('SIGKILL')));
  const started = await startAgent([...AGENT_ARGS, ...args], env);
  agents.push(started);
  return started;
}

/** The record the agent wrote for `host`, read with a client of our own. */
async function recordIn(client: Etcd3, host: string): Promise<string | null> {
  return client.get(recordKey(host)).string();
}

/** An agent that cannot get through keeps running, retries quietly, and leaves the container alone. */
async function assertAgentKeepsRetrying(a: AgentProcess, message: RegExp): Promise<void> {
  await waitFor(
    async () => message.test(JSON.stringify(await (await fetch(`http://${a.status}/status`)).json())),
    5000,
    100,
  );
  await new Promise((r) => setTimeout(r, 2500));
  const status = (await (await fetch(`http://${a.status}/status`)).json()) as {
    registry: { state: string; lastError?: string };
  };
  assert.equal(status.registry.state, 'disconnected');
  assert.match(status.registry.lastError ?? '', message);
  const warnings = a
    .logs()
    .split('\n')
    .filter((line) => line.includes('"level":40') && message.test(line));
  assert.ok(
    warnings.length >= 1 && warnings.length <= 4,
    `logged clearly, not once per retry: ${warnings.length} warnings`,
  );
  assert.equal((await inspectContainer(service.name))?.State.Running, true, 'the container keeps running');
}

describe('etcd over TLS with client certificates', () => {
  let client: Etcd3;
  before(async () => {
    const [ca, cert, key] = await Promise.all([readFile(pki.ca), readFile(pki.clientCert), readFile(pki.clientKey)]);
    client = new Etcd3({
      hosts: tlsEtcd.endpoint,
      credentials: { rootCertificate: ca, certChain: cert, privateKey: key },
    });
  });
  after(() => client?.close());

  it('agent (flags) announces; ps --all (env) lists the host; dns (config file) answers; gateway (flags) renders', async () => {
    await agent(['--etcd', tlsEtcd.endpoint, '--hostname', 'tls-host', ...tlsFlags()]);
    await waitFor(async () => (await recordIn(client, 'tls-host')) !== null, 5000, 100);
    assert.equal(await recordIn(client, 'tls-host'), `{"host":"127.0.0.1","port":${service.port},"ttl":10}`);

    const env = {
      RUNDOCK_ETCD: tlsEtcd.endpoint,
      RUNDOCK_ETCD_CACERT: pki.ca,
      RUNDOCK_ETCD_CERT: pki.clientCert,
      RUNDOCK_ETCD_KEY: pki.clientKey,
    };
    const ps = await rundockJson<{ hosts: { host: string; services: { service: string }[] }[] }>(['ps', '--all'], env);
    assert.equal(ps.code, 0, ps.stderr);
    assert.ok(
      ps.json.hosts.some((h) => h.host === 'tls-host' && h.services.some((s) => s.service === service.name)),
      ps.stdout,
    );

    const config = join(pki.dir, 'config.yml');
    await writeFile(config, `etcd_cacert: ${pki.ca}\netcd_cert: ${pki.clientCert}\netcd_key: ${pki.clientKey}\n`);
    const dns = await startDnsProcess({
      etcd: tlsEtcd.endpoint,
      domain: DOMAIN,
      workers: 2,
      env: { RUNDOCK_CONFIG: config },
    });
    try {
      const answered = async (): Promise<boolean> => {
        const reply = await udpQuery(dns.port, `${service.name}.${DOMAIN}`, 'A').catch(() => undefined);
        return reply !== undefined && addressesOf(reply).includes('127.0.0.1');
      };
      await waitFor(answered, 10_000, 100);
    } finally {
      await dns.stop();
    }

    const nginx = await startNginx(1);
    const o = nginx.options;
    const args: string[] = [
      BIN,
      'gateway',
      '--etcd',
      tlsEtcd.endpoint,
      ...tlsFlags(),
      '--domain',
      DOMAIN,
      '--nginx-conf-dir',
      nginx.confDir,
      '--nginx-prefix',
      o.prefix ?? '',
      '--nginx-conf',
      o.conf ?? '',
      '--nginx-error-log',
      o.errorLog ?? '',
      '--nginx-pid-file',
      o.pidFile ?? '',
      '--min-wait',
      '50ms',
      '--max-wait',
      '200ms',
      '--metrics-listen',
      `127.0.0.1:${await freePort()}`,
    ];
    const gateway = spawn(process.execPath, args, {
      env: { ...process.env, RUNDOCK_CONFIG: '/dev/null' },
      stdio: 'ignore',
    });
    try {
      const file = join(nginx.confDir, 'rundock-upstreams.conf');
      await waitFor(
        async () => (await readFile(file, 'utf8').catch(() => '')).includes(`127.0.0.1:${service.port}`),
        8000,
        100,
      );
    } finally {
      gateway.kill('SIGTERM');
      await nginx.stop();
    }
  });

  const failures: [string, () => string[], RegExp][] = [
    [
      'a wrong CA',
      () => tlsFlags({ ca: pki.otherCa }),
      /TLS certificate verification failed \(unable to verify the first certificate\) — check --etcd-cacert/,
    ],
    [
      'an expired client certificate',
      () => tlsFlags({ cert: pki.expiredCert }),
      /rejected the client certificate \(TLS alert: bad certificate\): certificate has expired .* renew --etcd-cert/,
    ],
  ];
  for (const [what, flags, message] of failures) {
    it(`with ${what}: ps --all, dns and gateway exit 1 naming it; the agent keeps retrying`, async () => {
      const ps = await rundock(['ps', '--all', '--etcd', tlsEtcd.endpoint, ...flags()]);
      assert.equal(ps.code, 1);
      assert.match(ps.stderr, message);
      assert.match(ps.stderr, /\[RUNDOCK_E_ETCD_TLS\]\n$/);
      assert.doesNotMatch(ps.stderr, /\n\s+at /, 'no stack trace');
      for (const workers of ['1', '2']) {
        const dns = await rundock([
          'dns',
          '--etcd',
          tlsEtcd.endpoint,
          ...flags(),
          '--domain',
          DOMAIN,
          '--workers',
          workers,
          '--listen',
          `127.0.0.1:${await freePort()}`,
          '--metrics-listen',
          `127.0.0.1:${await freePort()}`,
        ]);
        assert.equal(dns.code, 1, `dns --workers ${workers}: ${dns.stderr}`);
        assert.match(dns.stderr, message);
      }
      const gateway = await rundock([
        'gateway',
        '--etcd',
        tlsEtcd.endpoint,
        ...flags(),
        '--domain',
        DOMAIN,
        '--nginx-conf-dir',
        pki.dir,
        '--metrics-listen',
        `127.0.0.1:${await freePort()}`,
      ]);
      assert.equal(gateway.code, 1, gateway.stderr);
      assert.match(gateway.stderr, message);
      const stuck = await agent(['--etcd', tlsEtcd.endpoint, '--hostname', 'tls-bad', ...flags()]);
      await assertAgentKeepsRetrying(stuck, message);
      assert.equal(await recordIn(client, 'tls-bad'), null);
    });
  }

  it('refuses bad settings before connecting (exit 2, naming the setting)', async () => {
    const cases: [string[], RegExp][] = [
      [['--etcd-cacert', join(pki.dir, 'missing.crt')], /etcd-cacert: cannot be read: ENOENT \(got ".*missing.crt"\)/],
      [['--etcd-cert', pki.clientCert], /etcd-key: is required with --etcd-cert/],
      [
        ['--etcd-cacert', pki.ca, '--etcd-cert', pki.clientCert, '--etcd-key', pki.serverKey],
        /etcd-key: is not the private key of the certificate/,
      ],
      [['--etcd-cacert', pki.clientKey], /etcd-cacert: is not a PEM CA certificate/],
    ];
    for (const [flags, message] of cases) {
      const ps = await rundock(['ps', '--all', '--etcd', tlsEtcd.endpoint, ...flags]);
      assert.equal(ps.code, 2, ps.stderr);
      assert.match(ps.stderr, message);
    }
    const plain = await rundock(['ps', '--all', '--etcd', tlsEtcd.endpoint.replace('https:', 'http:'), ...tlsFlags()]);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /must use https:\/\/ endpoints/);
  });
});

describe('etcd user/password auth', () => {
  it('agent (password file) announces; dns (env password) answers; ps --all (env password file) lists the host', async () => {
    await agent([
      '--etcd',
      authEtcd.endpoint,
      '--hostname',
      'auth-host',
      '--etcd-user',
      'agent',
      '--etcd-password-file',
      join(pki.dir, 'agent.pw'),
    ]);
    const root = new Etcd3({ hosts: authEtcd.endpoint, auth: { username: 'root', password: 'rootpw' } });
    try {
      await waitFor(async () => (await recordIn(root, 'auth-host')) !== null, 5000, 100);
    } finally {
      root.close();
    }
    const dns = await startDnsProcess({
      etcd: authEtcd.endpoint,
      domain: DOMAIN,
      workers: 1,
      env: { RUNDOCK_ETCD_USER: 'reader', RUNDOCK_ETCD_PASSWORD: 'readerpw' },
    });
    try {
      // A query the loaded machine leaves unanswered is asked again, as a resolver would.
      const answered = async (): Promise<boolean> => {
        const reply = await udpQuery(dns.port, `auth-host.${service.name}.${DOMAIN}`, 'A').catch(() => undefined);
        return reply !== undefined && addressesOf(reply).includes('127.0.0.1');
      };
      await waitFor(answered, 10_000, 100);
    } finally {
      await dns.stop();
    }
    await writeFile(join(pki.dir, 'reader.pw'), 'readerpw');
    const ps = await rundock(['ps', '--all', '--etcd', authEtcd.endpoint, '--etcd-user', 'reader'], {
      RUNDOCK_ETCD_PASSWORD_FILE: join(pki.dir, 'reader.pw'),
    });
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(`auth-host\\s+${service.name}\\s+yes`));
  });

  it('with a wrong password or none: ps --all and dns exit 1 naming it; the agent keeps retrying', async () => {
    const wrong = ['--etcd-user', 'agent', '--etcd-password-file', join(pki.dir, 'wrong.pw')];
    const failed = /etcd authentication failed for user agent — check --etcd-user\/--etcd-password-file/;
    const ps = await rundock(['ps', '--all', '--etcd', authEtcd.endpoint, ...wrong]);
    assert.equal(ps.code, 1);
    assert.match(ps.stderr, failed);
    assert.match(ps.stderr, /\[RUNDOCK_E_ETCD_AUTH\]\n$/);
    const anonymous = await rundock(['ps', '--all', '--etcd', authEtcd.endpoint]);
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /requires authentication — set --etcd-user and --etcd-password-file/);
    const dns = await rundock([
      'dns',
      '--etcd',
      authEtcd.endpoint,
      ...wrong,
      '--domain',
      DOMAIN,
      '--workers',
      '1',
      '--listen',
      `127.0.0.1:${await freePort()}`,
      '--metrics-listen',
      `127.0.0.1:${await freePort()}`,
    ]);
    assert.equal(dns.code, 1, dns.stderr);
    assert.match(dns.stderr, failed);
    const stuck = await agent(['--etcd', authEtcd.endpoint, '--hostname', 'auth-bad', ...wrong]);
    await assertAgentKeepsRetrying(stuck, failed);
  });

  it('an agent given the read-only role is told it is not permitted, and keeps retrying', async () => {
    await writeFile(join(pki.dir, 'reader.pw'), 'readerpw');
    const readOnly = await agent([
      '--etcd',
      authEtcd.endpoint,
      '--hostname',
      'auth-ro',
      '--etcd-user',
      'reader',
      '--etcd-password-file',
      join(pki.dir, 'reader.pw'),
    ]);
    await assertAgentKeepsRetrying(
      readOnly,
      /etcd user reader is not permitted this request \(etcdserver: permission denied\)/,
    );
  });
});
