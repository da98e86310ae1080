import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { describe, it } from 'node:test';
import {
  cluster,
  daemonCert,
  etcdctl,
  HOSTS,
  httpGet,
  PKI,
  PRIVATE,
  rootOf,
  run,
  SCRIPT,
  SKYDNS,
  type Host,
} from './cluster.js';
import { BACK, clusterSuite } from './checks.js';

/**
 * etcd as the role sets it up by default (docs/security.md): TLS only, client certificates required, and each of
 * rundock's daemons an etcd user (the CN of its certificate) whose role grants what it needs and nothing more. The
 * rest of the suite proves they can do what they need (records announced, DNS answering, gateways serving).
 */
clusterSuite();

const FRONT = 'node-front-1';
const SECRET_KEY = '/rundock-secrets/cluster-test';
const DENIED = /permission denied/;

type Daemon = 'agent' | 'dns' | 'gateway';
/** etcdctl ARGS as HOST's DAEMON (its client certificate, copied from the control machine's PKI). */
const as = (host: Host, daemon: Daemon, ...args: string[]) => etcdctl(args, { as: daemonCert(host, daemon) });

/** Asserts that the request was refused for want of permission (not for want of a connection). */
async function refused(host: Host, daemon: Daemon, ...args: string[]): Promise<void> {
  const r = await as(host, daemon, ...args);
  assert.notEqual(r.code, 0, `${daemon} of ${host} was allowed: etcdctl ${args.join(' ')}\n${r.stdout}`);
  assert.match(r.stderr, DENIED, `${daemon} of ${host}: etcdctl ${args.join(' ')}`);
}

/** Asserts that the request succeeded; resolves with etcdctl's output. */
async function allowed(host: Host, daemon: Daemon, ...args: string[]): Promise<string> {
  const r = await as(host, daemon, ...args);
  assert.equal(r.code, 0, `${daemon} of ${host}: etcdctl ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

describe('etcd: TLS, client certificates and a role per daemon', () => {
  it('refuses plain HTTP and a TLS client without a certificate', async () => {
    // etcd's TLS listener closes a plain HTTP connection without an answer; etcdctl over http:// gets nothing either.
    await assert.rejects(httpGet(PRIVATE[FRONT], '/version', undefined, 2379), /socket hang up|ECONNRESET/);
    const timeouts = ['--dial-timeout', '1s', '--command-timeout', '2s'];
    const plain = await run('etcdctl', ['--endpoints', `http://${PRIVATE[FRONT]}:2379`, ...timeouts, 'get', '/']);
    assert.notEqual(plain.code, 0, plain.stdout);
    const noCert = await run('etcdctl', [
      '--endpoints',
      `https://${PRIVATE[FRONT]}:2379`,
      '--cacert',
      `${PKI}/ca.crt`,
      ...timeouts,
      'get',
      '/',
    ]);
    assert.notEqual(noCert.code, 0, noCert.stdout);
  });

  it('authentication is on: a certificate of the CA whose CN is no etcd user reads nothing', async () => {
    // The member's peer certificate is signed by the same CA; with auth off it could read everything.
    const peer = { cert: `${PKI}/hosts/${FRONT}/etcd-peer.crt`, key: `${PKI}/hosts/${FRONT}/etcd-peer.key` };
    const r = await etcdctl(['get', '--prefix', '--keys-only', `${SKYDNS}/`], { as: peer });
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, DENIED);
    // rundock says whom etcd took it for: the certificate's CN.
    const ps = await run('bash', [
      SCRIPT,
      'exec',
      BACK,
      'rundock',
      'ps',
      '--all',
      '--etcd-cert',
      peer.cert,
      '--etcd-key',
      peer.key,
    ]);
    assert.equal(ps.code, 1, ps.stdout);
    assert.match(
      ps.stderr,
      /etcd user etcd-peer-node-front-1 \(the CN of \S+etcd-peer\.crt\) is not permitted this request/,
    );
    const users = await etcdctl(['user', 'list']);
    assert.equal(users.code, 0, users.stderr);
    const expected = [
      'root',
      ...HOSTS.map((h) => `rundock-agent-${h}`),
      `rundock-dns-${FRONT}`,
      'rundock-gateway-node-front-1',
      'rundock-gateway-node-front-2',
    ];
    assert.deepEqual(users.stdout.split('\n').filter(Boolean).sort(), expected.sort());
  });

  it("an agent writes its own host's records, reads /rundock/, and cannot touch another host's or the secrets", async () => {
    const own = `/rundock/hosts/${BACK}`;
    assert.match(await allowed(BACK, 'agent', 'get', own), new RegExp(own));
    assert.match(await allowed(BACK, 'agent', 'get', '--prefix', '--keys-only', '/rundock/'), /\/rundock\/hosts\//);
    await refused(BACK, 'agent', 'put', `/rundock/hosts/${FRONT}`, '{}');
    await refused(BACK, 'agent', 'put', `/rundock/routes/${FRONT}/x`, '{}');
    await refused(BACK, 'agent', 'put', `/rundock/gateways/${FRONT}`, '{}');
    await refused(BACK, 'agent', 'get', '--prefix', '/rundock-secrets/');
    await refused(BACK, 'agent', 'put', SECRET_KEY, 'x');
    await refused(BACK, 'agent', 'put', '/skydns/org/other/x', '{}');
  });

  it('a DNS server reads the records and writes nothing', async () => {
    assert.match(
      await allowed(FRONT, 'dns', 'get', '--prefix', '--keys-only', `${SKYDNS}/`),
      new RegExp(`${SKYDNS}/influxdb/${BACK}`),
    );
    await refused(FRONT, 'dns', 'put', `${SKYDNS}/influxdb/${BACK}`, '{"host":"10.0.0.66"}');
    await refused(FRONT, 'dns', 'del', `${SKYDNS}/influxdb/${BACK}`);
    await refused(FRONT, 'dns', 'put', `/rundock/hosts/${FRONT}`, '{}');
    await refused(FRONT, 'dns', 'get', '--prefix', '/rundock-secrets/');
  });

  it('a gateway owns the secrets prefix and its own report, and cannot write records', async () => {
    await allowed(FRONT, 'gateway', 'put', SECRET_KEY, 'cluster test');
    assert.match(await allowed('node-front-2', 'gateway', 'get', SECRET_KEY), /cluster test/);
    await allowed(FRONT, 'gateway', 'del', SECRET_KEY);
    assert.match(await allowed(FRONT, 'gateway', 'get', `/rundock/gateways/${FRONT}`), /\/rundock\/gateways\//);
    await refused(FRONT, 'gateway', 'put', '/rundock/gateways/node-front-2', '{}');
    await refused(FRONT, 'gateway', 'put', `${SKYDNS}/influxdb/${BACK}`, '{"host":"10.0.0.66"}');
    await refused(FRONT, 'gateway', 'put', `/rundock/hosts/${FRONT}`, '{}');
  });

  it("each daemon is configured with its own certificate; keys are 0600; ps --all works with the agent's", async () => {
    const dir = `${rootOf(FRONT)}/etc/rundock/etcd`;
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    for (const key of ['agent.key', 'dns.key', 'gateway.key'])
      assert.equal((await stat(`${dir}/${key}`)).mode & 0o777, 0o600, key);
    for (const key of ['server.key', 'peer.key', 'root.key'])
      assert.equal((await stat(`${rootOf(FRONT)}/etc/etcd/pki/${key}`)).mode & 0o777, 0o600, key);
    const ps = await cluster('exec', BACK, 'rundock', 'ps', '--all', '--json');
    const hosts = (JSON.parse(ps.stdout) as { hosts: { host: string }[] }).hosts.map((h) => h.host);
    assert.deepEqual(hosts, [...HOSTS].sort(), ps.stdout);
  });
});
