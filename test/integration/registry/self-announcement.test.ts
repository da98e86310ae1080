/**
 * A frontend's self-announcement against a real three-member etcd and real HTTP servers standing in for nginx:
 * gone within the short lease when its keeper dies, sooner when a peer finds its nginx and its lease silent,
 * withdrawn and back with nginx, withdrawn by a peer when it died with etcd's leader, and kept through a 1 s stall of
 * its process, a frozen leader, and one silent witness of two (docs/records.md, "The self-announcement"). The cluster
 * suite measures the same on the reference cluster (docs/RELIABILITY.md).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import pino from 'pino';
import { SelfAnnouncer, SelfAnnouncerMetrics } from '../../../src/agent/self-announcer.js';
import { PEERS_EVERY_MS } from '../../../src/registry/etcd-peer-silence.js';
import { etcdSelfRecord, type SelfRecordListener } from '../../../src/registry/etcd-self-record.js';
import { recordKey, servicePrefix } from '../../../src/registry/path.js';
import { Registry } from 'prom-client';
import { freePort } from '../harness.js';
import { waitFor } from '../../support/wait.js';
import { startEtcdCluster, type EtcdCluster } from './etcd-process.js';

const DOMAIN = 'self.test';
const PREFIX = servicePrefix(DOMAIN, 'www');
const silent = pino({ level: 'silent' });
let cluster: EtcdCluster;
let observer: Etcd3;

before(async () => {
  cluster = await startEtcdCluster(3);
  observer = new Etcd3({ hosts: cluster.endpoints });
});
after(async () => {
  observer?.close();
  for (const m of cluster?.members ?? []) m.resume();
  await cluster?.kill();
});

const noListener: SelfRecordListener = {
  announced: () => undefined,
  lost: () => undefined,
  failed: () => undefined,
  peerProbeFailed: () => undefined,
  peerWithdrawn: () => undefined,
};

/** A frontend's announcer for `host` at `address` through `hosts`, checking `checkUrl` (and its peers) if given. */
function frontend(
  host: string,
  hosts: string[],
  checkUrl?: URL,
  listener = noListener,
  address = `192.0.2.${host.length}`,
): SelfAnnouncer {
  const key = recordKey(DOMAIN, 'www', host);
  return new SelfAnnouncer({
    key,
    value: `{"host":"${address}","ttl":5}`,
    record: (_l, probe) => etcdSelfRecord({ hosts }, PREFIX, key, listener, probe),
    checkUrl,
    metrics: new SelfAnnouncerMetrics(new Registry()),
    log: silent,
  });
}

/** An HTTP server standing in for a frontend's nginx on `address`:`port`. */
function nginxOn(address: string, port: number): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((_q, r) => r.writeHead(404).end()).listen(port, address, () => resolve(s));
  });
}

const present =
  (host: string, through = observer) =>
  async (): Promise<boolean> =>
    (await through.get(recordKey(DOMAIN, 'www', host)).string()) !== null;
const absent =
  (host: string, through = observer) =>
  async (): Promise<boolean> =>
    !(await present(host, through)());

/** Deletes seen under the name while `during` runs (watched `through` members that keep answering). */
async function deletesDuring(during: () => Promise<void>, through = observer): Promise<string[]> {
  const deletes: string[] = [];
  const watcher = await through.watch().prefix(PREFIX).create();
  watcher.on('delete', (kv) => deletes.push(kv.key.toString()));
  try {
    await during();
  } finally {
    await watcher.cancel();
  }
  return deletes;
}

async function leaderIndex(): Promise<number> {
  for (const [i, endpoint] of cluster.endpoints.entries()) {
    const client = new Etcd3({ hosts: [endpoint] });
    const status = await client.maintenance.status().finally(() => client.close());
    if (status.leader === status.header.member_id) return i;
  }
  throw new Error('no etcd leader');
}

describe('self-announcement on a short lease', () => {
  it('a frontend that dies leaves etcd within the lease (2 s) and the expiry check (0.5 s)', async () => {
    const f = frontend('node-a', cluster.endpoints);
    f.start();
    await waitFor(present('node-a'), 3000);
    const died = Date.now();
    await f.stop(false); // as a killed agent: renewals stop, nothing is revoked
    const goneMs = await waitFor(absent('node-a'), 5000, 20);
    assert.ok(goneMs <= 2700, `gone ${Date.now() - died} ms after its last renewal`);
  });

  it("follows its nginx: withdrawn within about 1 s of nginx's death, back within 1 s of its first answer", async () => {
    const port = await freePort();
    const serve = (): Promise<Server> => nginxOn('127.0.0.1', port);
    let nginx = await serve();
    const f = frontend('node-b', cluster.endpoints, new URL(`http://127.0.0.1:${port}/`));
    f.start();
    try {
      await waitFor(present('node-b'), 3000);
      await new Promise((r) => nginx.close(r));
      const withdrawnMs = await waitFor(absent('node-b'), 3000, 20);
      assert.ok(withdrawnMs <= 1500, `withdrawn ${withdrawnMs} ms after nginx stopped`);
      assert.equal(f.status().check?.up, false);
      nginx = await serve();
      const backMs = await waitFor(present('node-b'), 3000, 20);
      assert.ok(backMs <= 1000, `back ${backMs} ms after nginx answered`);
    } finally {
      await f.stop(true);
      nginx.close();
    }
    assert.equal(await present('node-b')(), false, 'withdrawn at the stop');
  });

  it("a peer whose nginx and renewals stopped: withdrawn by a live one within about 1.5 s; one witness isn't enough", async (t) => {
    const port = await freePort(); // the same port on three loopback addresses, as nginx on three hosts
    const servers = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((a) => nginxOn(a, port)));
    const [judgeNginx, deadNginx, renewingNginx] = servers as [Server, Server, Server];
    const withdrawn: string[] = [];
    const judging = { ...noListener, peerWithdrawn: (key: string) => void withdrawn.push(key) };
    const dead = frontend('node-g', cluster.endpoints, undefined, noListener, '127.0.0.3');
    const renewing = frontend('node-h', cluster.endpoints, undefined, noListener, '127.0.0.4');
    // Its renewals stop, its nginx answers (127.0.0.2, the judge's own, stands in for it).
    const stalled = frontend('node-i', cluster.endpoints, undefined, noListener, '127.0.0.2');
    const judge = frontend('node-j', cluster.endpoints, new URL(`http://127.0.0.2:${port}/`), judging);
    try {
      for (const f of [dead, renewing, stalled]) f.start();
      await waitFor(
        async () => (await Promise.all(['node-g', 'node-h', 'node-i'].map((h) => present(h)()))).every(Boolean),
        3000,
      );
      judge.start();
      await waitFor(present('node-j'), 3000);
      // It has read the peers since (it reads them every 2 s), and its probes of all three answered.
      await new Promise((r) => setTimeout(r, PEERS_EVERY_MS + 500));
      const died = Date.now();
      await Promise.all([dead.stop(false), stalled.stop(false), new Promise((r) => deadNginx.close(r))]);
      await new Promise((r) => renewingNginx.close(r));
      await waitFor(absent('node-g'), 3000, 20);
      const goneMs = Date.now() - died;
      t.diagnostic(`dead peer withdrawn after ${goneMs} ms`);
      assert.ok(goneMs <= 1700, `withdrawn ${goneMs} ms after its nginx and renewals stopped (its lease: 2-2.5 s)`);
      await waitFor(absent('node-i'), 3000, 20); // by its lease
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(withdrawn, [recordKey(DOMAIN, 'www', 'node-g')], 'the judge withdrew the dead one only');
      assert.equal(await present('node-h')(), true, 'a frontend that renews stays, its nginx silent or not');
    } finally {
      await Promise.all([judge.stop(true), renewing.stop(true), dead.stop(false), stalled.stop(false)]);
      for (const s of [judgeNginx, renewingNginx]) s.close();
    }
  });

  it('a 1 s stall of the keeper withdraws nothing', async () => {
    const f = frontend('node-c', cluster.endpoints);
    f.start();
    try {
      await waitFor(present('node-c'), 3000);
      const deletes = await deletesDuring(async () => {
        await new Promise((r) => setTimeout(r, 300));
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // the whole process stands still
        await new Promise((r) => setTimeout(r, 3000));
      });
      assert.deepEqual(deletes, []);
    } finally {
      await f.stop(true);
    }
  });

  it("died with etcd's leader: a peer withdraws it within 3 s; a frozen leader withdraws no live one", async () => {
    const leader = await leaderIndex();
    const others = cluster.endpoints.filter((_, i) => i !== leader);
    const outside = new Etcd3({ hosts: others });
    const withdrawn: string[] = [];
    const judging = { ...noListener, peerWithdrawn: (key: string) => void withdrawn.push(key) };
    const judge = frontend('node-d', cluster.endpoints, undefined, judging);
    // Reaches etcd only through the leader's member: frozen with it, as a frontend whose host is cut off.
    const victim = frontend('node-e', [cluster.endpoints[leader] as string]);
    const live = frontend('node-f', others, undefined, judging);
    for (const f of [judge, victim, live]) f.start();
    try {
      await waitFor(
        async () => (await Promise.all(['node-d', 'node-e', 'node-f'].map((h) => present(h)()))).every(Boolean),
        3000,
      );
      // Renewals answered after the last of the three puts: each peer check knows the revision the term ended at.
      await new Promise((r) => setTimeout(r, 1200));
      let goneMs = -1;
      const deletes = await deletesDuring(async () => {
        cluster.members[leader]?.pause();
        goneMs = await waitFor(absent('node-e', outside), 6000, 20);
        await new Promise((r) => setTimeout(r, 2000)); // any false withdrawal of the others shows by now
      }, outside);
      assert.ok(goneMs <= 3000, `withdrawn ${goneMs} ms after its leader froze`);
      assert.deepEqual(deletes, [recordKey(DOMAIN, 'www', 'node-e')]);
      // By either live frontend, or both (the second one's guarded delete finds it gone).
      assert.deepEqual([...new Set(withdrawn)], [recordKey(DOMAIN, 'www', 'node-e')]);
    } finally {
      await Promise.all([judge.stop(true), live.stop(true), victim.stop(false)]);
      outside.close();
      // Resumed only now: etcd 3.4.23's stale leader revokes the leases it thinks expired (etcd issue 15247).
      cluster.members[leader]?.resume();
    }
  });
});
