/**
 * Agent restarts are invisible to clients (issue 19): SIGTERM leaves the records of running containers in place; the
 * next agent takes them over on the same etcd lease (kept in its state directory) and changes only what changed
 * meanwhile, never withdrawing and putting a record again; a container that died while no agent ran is gone within
 * the lease TTL; withdrawing everything is explicit (`--withdraw-on-exit`, `rundock withdraw`). With the embedded
 * registry the records stay in its file and are served again as soon as the agent is back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Etcd3, type IKeyValue } from 'etcd3';
import { startAgent, waitFor, type AgentProcess } from './agent-process.js';
import { addressesOf, udpQuery } from './dns/client.js';
import { ADDRESSES, docker, freePort, httpdCmd, IMAGE, removeContainers, rundock, uniqueName } from './harness.js';
import { startEtcd, type EtcdProcess } from './registry/etcd-process.js';

const DOMAIN = 's.restart.example.com';
/**
 * Longer than an agent's restart (and a `rundock withdraw`'s start) on a loaded 2-core machine, which can take 10 s
 * and more: the lease must outlive them; the expiry test's is short.
 */
const TTL_S = 30;
const SHORT_TTL_S = 4;
const created: string[] = [];

/** Enables a web service on a free port with a Docker health check or an agent probe; resolves to its name. */
async function service(check: 'health' | 'probe'): Promise<string> {
  const name = uniqueName('rs');
  created.push(name);
  const how =
    check === 'health'
      ? ['--health-cmd', 'wget -q -O /dev/null http://127.0.0.1:8080/', '--health-interval', '1s']
      : ['--probe', 'http:/', '--probe-interval', '1s'];
  const port = String(await freePort());
  const args = ['enable', name, '--image', IMAGE, '--cmd', httpdCmd(), '--announce', port, '--port', '8080'];
  const result = await rundock([...args, ...how, ...ADDRESSES]);
  assert.equal(result.code, 0, result.stderr);
  return name;
}

describe('agent restarts with etcd', () => {
  let etcd: EtcdProcess;
  let client: Etcd3;
  let agent: AgentProcess | undefined;
  const stateDir = mkdtempSync(join(tmpdir(), 'rundock-restart-'));
  const host = uniqueName('node');
  const args = (ttl = TTL_S, ...more: string[]): string[] => [
    ...['--etcd', etcd.endpoint, '--domain', DOMAIN, '--hostname', host, '--lease-ttl', String(ttl)],
    ...['--state-dir', stateDir, '--stable-after', '2s', ...ADDRESSES, ...more],
  ];
  const key = (name: string): string => `/skydns/com/example/restart/s/${name}/${host}`;
  const kv = async (k: string): Promise<IKeyValue | undefined> => (await client.get(k).exec()).kvs[0];
  const leaseOf = async (a: AgentProcess): Promise<string | undefined> =>
    ((await (await fetch(`http://${a.status}/status`)).json()) as { registry: { leaseId?: string } }).registry.leaseId;

  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    client.close();
    await etcd.kill();
    await removeContainers(...created);
  });

  it('SIGTERM keeps the records; the next agent takes over the same lease and puts or deletes none of them', async () => {
    agent = await startAgent(args());
    const names = [await service('health'), await service('probe')];
    await waitFor(async () => (await Promise.all(names.map((n) => kv(key(n))))).every(Boolean), 10_000, 50);
    const lease = await leaseOf(agent);
    const before = await Promise.all(names.map((n) => kv(key(n))));
    assert.equal(await agent.stop('SIGTERM'), 0);
    assert.doesNotMatch(agent.logs(), /withdraw records/);
    for (const n of names) assert.notEqual(await kv(key(n)), undefined, `${n} kept while no agent runs`);
    assert.match(readFileSync(join(stateDir, 'etcd-lease.json'), 'utf8'), new RegExp(`"lease":"${lease}"`));

    const next = await startAgent(args());
    agent = next;
    // Its status answers before its first sync, which takes the lease over.
    await waitFor(async () => (await leaseOf(next)) !== undefined, 5000, 20, 'a lease');
    assert.equal(await leaseOf(next), lease, 'the same lease');
    assert.match(agent.logs(), /etcd lease of the agent before this one taken over/);
    await new Promise((r) => setTimeout(r, 1500)); // a probe round and a sync: anything that would change, has
    const after = await Promise.all(names.map((n) => kv(key(n))));
    for (const [i, n] of names.entries()) {
      const [was, is] = [before[i], after[i]];
      // A record deleted and put again would have a new create revision; one put again, a new mod revision.
      assert.deepEqual(
        [is?.create_revision, is?.mod_revision, is?.lease],
        [was?.create_revision, was?.mod_revision, was?.lease],
        `${n}: not withdrawn, not put again`,
      );
    }
  });

  it('a container that died while no agent ran: gone at once when the agent is back within the TTL', async () => {
    const name = await service('health');
    await waitFor(async () => (await kv(key(name))) !== undefined, 10_000, 50);
    assert.equal(await agent?.stop('SIGTERM'), 0);
    await docker.getContainer(name).kill();
    agent = await startAgent(args());
    // Its first sync, well within the TTL (a few hundred ms; seconds on a loaded machine).
    const waited = await waitFor(async () => (await kv(key(name))) === undefined, 8000, 20, 'withdrawn');
    process.stderr.write(`# died while no agent ran: withdrawn ${waited} ms after the next agent answered\n`);
  });

  it(`... and within the lease TTL (${SHORT_TTL_S} s) + 1 s of the stop when no agent comes back`, async () => {
    assert.equal(await agent?.stop('SIGTERM'), 0);
    agent = await startAgent(args(SHORT_TTL_S));
    const name = await service('health');
    await waitFor(async () => (await kv(key(name))) !== undefined, 10_000, 50);
    const stopped = Date.now();
    assert.equal(await agent.stop('SIGTERM'), 0);
    await docker.getContainer(name).kill();
    const bound = SHORT_TTL_S * 1000 + 1000;
    await waitFor(async () => (await kv(key(name))) === undefined, bound + 1000, 50, 'expired with the lease');
    const goneMs = Date.now() - stopped;
    process.stderr.write(
      `# agent stopped: its records expired ${goneMs} ms after SIGTERM (lease TTL ${SHORT_TTL_S} s)\n`,
    );
    assert.ok(goneMs <= bound, `gone ${goneMs} ms after the stop`);
    assert.equal((await client.getAll().prefix(`/rundock/hosts/${host}`).keys()).length, 0, 'the host record too');
  });

  it('rundock withdraw: refused while the agent runs, naming it; after its stop, every record of the host goes', async () => {
    agent = await startAgent(args());
    const name = await service('probe');
    await waitFor(async () => (await kv(key(name))) !== undefined, 10_000, 50);
    const withdraw = ['withdraw', '--etcd', etcd.endpoint, '--state-dir', stateDir, '--hostname', host];
    const refused = await rundock(withdraw);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(`an agent runs on this Docker engine .*pid ${agent.pid}, status ${agent.status}`),
    );
    assert.notEqual(await kv(key(name)), undefined, 'nothing withdrawn');
    const lease = await leaseOf(agent);
    assert.equal(await agent.stop('SIGTERM'), 0);
    agent = undefined;
    const done = await rundock(withdraw);
    assert.ok(lease !== undefined);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, new RegExp(`^withdrew \\d+ records of ${host} from etcd \\(lease ${lease} revoked\\)`));
    assert.equal(await kv(key(name)), undefined);
    assert.equal((await client.getAll().prefix(`/rundock/hosts/${host}`).keys()).length, 0);
  });

  it('--withdraw-on-exit (or withdraw_on_exit: true): SIGTERM withdraws every record at once', async () => {
    agent = await startAgent(args(TTL_S, '--withdraw-on-exit'));
    const name = await service('health');
    await waitFor(async () => (await kv(key(name))) !== undefined, 10_000, 50);
    assert.equal(await agent.stop('SIGTERM'), 0);
    agent = undefined;
    assert.equal(await kv(key(name)), undefined, 'withdrawn before the agent exited');
    assert.throws(() => readFileSync(join(stateDir, 'etcd-lease.json')), 'no lease left to take over');
  });
});

describe('agent restarts with the embedded registry and its DNS server', () => {
  let agent: AgentProcess | undefined;
  const stateDir = mkdtempSync(join(tmpdir(), 'rundock-restart-emb-'));
  after(async () => {
    await agent?.stop('SIGKILL');
    await removeContainers(...created);
  });

  it('the records stay in its file and DNS answers them as soon as the agent is back', async () => {
    const dnsPort = await freePort();
    const args = [
      ...['--domain', DOMAIN, '--hostname', 'node-e1', '--state-dir', stateDir],
      ...['--dns', `127.0.0.1:${dnsPort}`, ...ADDRESSES],
    ];
    agent = await startAgent(args);
    const name = await service('probe');
    const fqdn = `${name}.${DOMAIN}`;
    const answers = async (): Promise<string[]> => addressesOf(await udpQuery(dnsPort, fqdn, 'A'));
    await waitFor(async () => (await answers()).includes('127.0.0.1'), 10_000, 50, 'announced');
    assert.equal(await agent.stop('SIGTERM'), 0);
    const file = readFileSync(join(stateDir, 'registry.json'), 'utf8');
    assert.ok(file.includes(`/${name}/node-e1"`), 'kept in the file');
    agent = await startAgent(args);
    // startAgent returns once /status answers, after the first resync: DNS serves the file's records by then.
    assert.deepEqual(await answers(), ['127.0.0.1'], 'answered at once, never withdrawn');
    await new Promise((r) => setTimeout(r, 1500)); // the first probe of the new agent has passed
    assert.deepEqual(await answers(), ['127.0.0.1']);
  });
});
