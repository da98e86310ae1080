/**
 * A record feed at rest costs etcd nothing but a small message a second: no range request reads the prefix (issue
 * 24: every feed used to read its whole prefix, sorted, once a second), counted by etcd itself from its /metrics.
 * Its watch is kept honest by progress requests the member answers at once (etcd-progress.ts); a change still
 * arrives at once. The member that stops answering is test/integration/registry/etcd-failover.test.ts's.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import pino from 'pino';
import { delta, grpcKey, readCounters } from '../../support/prometheus.js';
import { watchProgress } from '../../../src/registry/etcd-progress.js';
import { EtcdZoneFeed } from '../../../src/registry/feed-etcd.js';
import type { FeedState } from '../../../src/registry/feed.js';
import { domainPrefix, recordKey } from '../../../src/registry/path.js';
import { waitFor } from '../../support/wait.js';
import { startEtcd, type EtcdProcess } from './etcd-process.js';

const DOMAIN = 'rest.feed.test';
const RECORDS = 500;
const WINDOW_MS = 10_000;

let etcd: EtcdProcess;
let client: Etcd3;

before(async () => {
  etcd = await startEtcd();
  client = new Etcd3({ hosts: [etcd.endpoint] });
  for (let i = 0; i < RECORDS; i += 100)
    await Promise.all(
      Array.from({ length: 100 }, (_, j) =>
        client.put(recordKey(DOMAIN, `svc-${i + j}`, 'node-1')).value('{"host":"10.0.0.1","port":80}'),
      ),
    );
});
after(async () => {
  client?.close();
  await etcd?.kill();
});

/** etcd's gRPC messages received so far, by Service/Method. */
async function received(): Promise<Map<string, number>> {
  const text = await (await fetch(`${etcd.endpoint}/metrics`)).text();
  return readCounters(text, 'grpc_server_msg_received_total', grpcKey);
}

describe('a record feed at rest', () => {
  it('reads no key for 10 s: one progress request a second on its watch, answered; a change arrives at once', async () => {
    const view = new Map<string, string>();
    const states: FeedState[] = [];
    const feed = new EtcdZoneFeed({
      hosts: [etcd.endpoint],
      prefix: domainPrefix(DOMAIN),
      log: pino({ level: 'silent' }),
      onState: (state) => states.push(state),
      sink: {
        replaceAll: (entries) => (view.clear(), [...entries].forEach(([k, v]) => view.set(k, v))),
        put: (k, v) => void view.set(k, v),
        delete: (k) => void view.delete(k),
      },
    });
    try {
      await feed.start();
      assert.equal(view.size, RECORDS);
      const before = await received();
      await sleep(WINDOW_MS);
      const during = delta(before, await received());
      assert.equal(during.get('KV/Range') ?? 0, 0, `range requests at rest: ${JSON.stringify([...during])}`);
      const progress = during.get('Watch/Watch') ?? 0;
      assert.ok(progress >= 4 && progress <= 11, `progress requests in ${WINDOW_MS} ms: ${progress}`);
      assert.deepEqual(states, ['loading', 'watching'], 'never suspected, never reloaded');
      const key = recordKey(DOMAIN, 'late', 'node-2');
      const put = Date.now();
      await client.put(key).value('{"host":"10.0.0.2","port":80}');
      await waitFor(() => view.has(key), 2000, 5, 'the change');
      assert.ok(Date.now() - put < 1000);
    } finally {
      await feed.stop();
    }
  });

  it("etcd answers a progress request on etcd3's watch stream with its revision", async () => {
    const own = new Etcd3({ hosts: [etcd.endpoint] });
    try {
      const revisions: string[] = [];
      const progress = watchProgress(own, (revision) => revisions.push(revision));
      assert.equal(progress.request(), false, 'no stream open yet');
      const watcher = await own.watch().prefix(domainPrefix(DOMAIN)).create();
      const current = Number((await own.get('nothing').exec()).header.revision);
      assert.equal(progress.request(), true);
      await waitFor(() => revisions.length === 1, 2000, 5, 'the answer');
      assert.ok(Number(revisions[0]) >= current, `${revisions[0]} >= ${current}`);
      await watcher.cancel();
    } finally {
      own.close();
    }
  });
});
