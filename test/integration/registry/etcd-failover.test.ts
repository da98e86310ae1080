/**
 * A three-member etcd on loopback with one member frozen (SIGSTOP): its connections stay open and nothing answers,
 * as when the host it runs on is cut off. The agent's records must never vanish, and a feed must not stay behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import pino from 'pino';
import { EtcdRegistry } from '../../../src/registry/etcd.js';
import { EtcdZoneFeed } from '../../../src/registry/feed-etcd.js';
import { recordKey } from '../../../src/registry/path.js';
import { encodeRecord } from '../../../src/registry/record.js';
import { startEtcdCluster, type EtcdCluster } from './etcd-process.js';

let cluster: EtcdCluster;
/** A client on the members that stay up. */
let observer: Etcd3;

before(async () => {
  cluster = await startEtcdCluster(3);
  observer = new Etcd3({ hosts: cluster.endpoints.slice(1) });
});
after(async () => {
  observer?.close();
  for (const m of cluster?.members ?? []) m.resume();
  await cluster?.kill();
});

const silent = pino({ level: 'silent' });

/** Resolves once `check` is true (polled every 50 ms); rejects after `timeoutMs`. Resolves to the time it took. */
async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('etcd with a member that stops answering', () => {
  it("the agent's records move to a new lease before the old one expires: never deleted", async () => {
    const domain = 'failover.test';
    const records = new Map([
      [recordKey(domain, 'web', 'node-1'), encodeRecord({ host: '10.0.0.1', port: 80, ttl: 1 })],
    ]);
    const moved: string[] = [];
    // Every endpoint is on loopback, so all are "local": the first member is used first, and that is the one frozen.
    const registry = new EtcdRegistry({
      hosts: cluster.endpoints,
      ttlSeconds: 6,
      listener: { leaseMoved: (from, to) => moved.push(`${from} -> ${to}`) },
    });
    const deletes: string[] = [];
    const watcher = await observer.watch().prefix('/skydns/test/failover/').create();
    watcher.on('delete', (kv) => deletes.push(kv.key.toString()));
    const [key] = [...records.keys()] as [string];
    try {
      await registry.sync(records);
      const firstLease = (await observer.get(key).exec()).kvs[0]?.lease;
      assert.ok(firstLease !== undefined && firstLease !== '0');
      cluster.members[0]?.pause();
      // The first lease's renewals go to the frozen member: wait until etcd has let it expire.
      await until(
        'the first lease expired',
        3 * 6000,
        async () => (await observer.leaseClient.leaseTimeToLive({ ID: firstLease })).TTL === '-1',
      );
      const kv = (await observer.get(key).exec()).kvs[0];
      assert.ok(kv !== undefined, 'the record is still in etcd');
      assert.notEqual(kv.lease, firstLease, 'attached to another lease');
      assert.deepEqual(deletes, [], 'no delete event for the record');
      assert.equal(moved.length, 1, 'reported as moved once');
    } finally {
      cluster.members[0]?.resume();
      await watcher.cancel();
      await registry.withdrawAll().catch(() => undefined);
      await registry.close();
    }
  });

  it('a withdrawal within a stop: abandons a sync stuck on the frozen member and deletes through another one', async () => {
    const domain = 'stop.failover.test';
    const key = recordKey(domain, 'web', 'node-3');
    const record = (port: number): Map<string, string> =>
      new Map([[key, encodeRecord({ host: '10.0.0.3', port, ttl: 1 })]]);
    // TTL 30: each attempt of an ordinary request waits 3.75 s on a member that does not answer.
    const registry = new EtcdRegistry({ hosts: cluster.endpoints, ttlSeconds: 30 });
    const first = new Etcd3({ hosts: cluster.endpoints[0] ?? '' });
    try {
      // The first member serves again after an earlier test froze it: the sync below goes to it, and sticks.
      await until('the first member answers', 20_000, () =>
        first
          .get('/')
          .exec()
          .then(
            () => true,
            () => false,
          ),
      );
      await registry.sync(record(80));
      cluster.members[0]?.pause();
      const stuck = registry.sync(record(81)).then(
        () => 'written',
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await registry.withdrawAll(AbortSignal.timeout(3000));
      const ms = Date.now() - started;
      assert.ok(ms < 3000, `withdrawn in ${ms} ms`);
      assert.match(await stuck, /abandoned: the records are being withdrawn/);
      assert.equal((await observer.get(key).exec()).kvs.length, 0, 'deleted');
    } finally {
      cluster.members[0]?.resume();
      first.close();
      await registry.close();
    }
  });

  it('a feed whose watch is on the frozen member catches up through another one within about 2 s', async () => {
    const domain = 'feed.failover.test';
    const view = new Map<string, string>();
    const feed = new EtcdZoneFeed({
      hosts: cluster.endpoints,
      domain,
      log: silent,
      sink: {
        replaceAll: (entries) => (view.clear(), [...entries].forEach(([k, v]) => view.set(k, v))),
        put: (k, v) => void view.set(k, v),
        delete: (k) => void view.delete(k),
      },
    });
    const key = recordKey(domain, 'web', 'node-2');
    try {
      await feed.start();
      cluster.members[0]?.pause();
      const put = Date.now();
      await observer.put(key).value(encodeRecord({ host: '10.0.0.2', port: 80, ttl: 1 }));
      // gRPC's keep-alive ping alone would notice the dead connection only after about 7 s.
      const ms = await until('the feed has the new record', 5000, () => view.has(key));
      assert.ok(Date.now() - put < 5000, `${ms} ms`);
      await observer.delete().key(key);
      await until('the feed drops the deleted record', 5000, () => !view.has(key));
    } finally {
      cluster.members[0]?.resume();
      await feed.stop();
    }
  });
});
