import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { EtcdRegistry } from '../../../src/registry/etcd.js';
import { isRetryable } from '../../../src/registry/errors.js';
import { recordKey } from '../../../src/registry/path.js';
import { encodeRecord } from '../../../src/registry/record.js';
import { registryContract } from '../../../src/registry/registry.contract.js';
import type { RegistryListener } from '../../../src/registry/registry.js';
import { startEtcd, type EtcdProcess } from './etcd-process.js';
import { waitFor } from '../../support/wait.js';

let etcd: EtcdProcess;
let client: Etcd3;
before(async () => {
  etcd = await startEtcd();
  client = new Etcd3({ hosts: [etcd.endpoint] });
});
after(async () => {
  client?.close();
  await etcd?.kill();
});

async function read(prefix: string): Promise<Map<string, string>> {
  return new Map(Object.entries(await client.getAll().prefix(prefix).strings()));
}

/** The lease a key is attached to ('0' for none), or undefined when the key does not exist. */
async function leaseOf(key: string): Promise<string | undefined> {
  return (await client.get(key).exec()).kvs[0]?.lease;
}

let seq = 0;
/** Records of a fresh domain, so tests never see each other's keys. */
function fixture(): { prefix: string; records: Map<string, string> } {
  const domain = `e${++seq}${Date.now().toString(36)}.etcd.test`;
  const records = new Map([
    [recordKey(domain, 'influxdb', 'node-back-1'), encodeRecord({ host: '10.0.0.5', port: 8086, ttl: 30 })],
    [recordKey(domain, 'grafana', 'node-back-1'), encodeRecord({ host: '10.0.0.5', port: 8087, ttl: 30 })],
  ]);
  return { prefix: `/skydns/test/etcd/${domain.split('.')[0]}/`, records };
}

/** A registry with a 2 s lease that records its listener's calls. */
function registry(): { registry: EtcdRegistry; events: string[] } {
  const events: string[] = [];
  const listener: RegistryListener = {
    stateChanged: (state) => events.push(state),
    leaseReplaced: (before, after) => events.push(`replaced ${before} -> ${after}`),
  };
  return {
    registry: new EtcdRegistry({ hosts: [etcd.endpoint], ttlSeconds: 2, listener, dialTimeoutMs: 2000 }),
    events,
  };
}

registryContract('EtcdRegistry', async () => {
  const registry = new EtcdRegistry({ hosts: [etcd.endpoint], ttlSeconds: 5 });
  return {
    registry,
    reader: read,
    // Any read returns the store revision; it moves with every write to etcd.
    revision: async () => (await client.get('/rundock-test/revision-probe').exec()).header.revision,
    // Withdraw rather than let the lease expire: an expiry during a later test would move the revision.
    cleanup: async () => {
      await registry.withdrawAll();
      await registry.close();
    },
  };
});

describe('EtcdRegistry on a real etcd', () => {
  it('attaches every record to one lease with the configured TTL', async () => {
    const { registry: r } = registry();
    const { prefix, records } = fixture();
    await r.sync(records);
    const leaseId = r.status().leaseId;
    assert.ok(leaseId);
    for (const key of records.keys()) assert.equal(await leaseOf(key), leaseId, key);
    const ttl = await client.leaseClient.leaseTimeToLive({ ID: leaseId, keys: true });
    assert.equal(ttl.grantedTTL, '2');
    assert.deepEqual(ttl.keys.map((k) => k.toString()).sort(), [...records.keys()].sort());
    assert.deepEqual(await read(prefix), records);
    await r.withdrawAll();
    await r.close();
  });

  it('withdrawAll deletes the records at once and revokes the lease', async () => {
    const { registry: r } = registry();
    const { records } = fixture();
    await r.sync(records);
    const leaseId = r.status().leaseId;
    await r.withdrawAll();
    for (const key of records.keys()) assert.equal(await leaseOf(key), undefined, key);
    assert.equal((await client.leaseClient.leaseTimeToLive({ ID: leaseId })).TTL, '-1', 'the lease is gone');
    assert.equal(r.status().leaseId, undefined);
    await r.close();
  });

  it('leaves records to expire with the lease after close(), within TTL + 2 s', async () => {
    const { registry: r } = registry();
    const { records } = fixture();
    await r.sync(records);
    await r.close();
    const [first] = records.keys();
    assert.ok(first !== undefined && (await leaseOf(first)) !== undefined, 'still there right after close');
    const took = await waitFor(async () => (await leaseOf(first)) === undefined, 6000, 20, 'the records expired');
    assert.ok(took <= 4000, `expired after ${took} ms`);
  });

  it('writes more records than one transaction may hold', async () => {
    const { registry: r } = registry();
    const prefix = `/skydns/test/etcd/big${Date.now().toString(36)}/`;
    const records = new Map(
      Array.from({ length: 300 }, (_, i) => [
        `${prefix}s${i}/node-back-1`,
        `{"host":"10.0.${i >> 8}.${i & 255}","port":80}`,
      ]),
    );
    await r.sync(records);
    assert.deepEqual(await read(prefix), records);
    await r.sync(new Map());
    assert.deepEqual(await read(prefix), new Map());
    await r.close();
  });

  it('lists records of every agent under a prefix', async () => {
    const [a, b] = [registry().registry, registry().registry];
    const domain = `l${Date.now().toString(36)}.etcd.test`;
    const [keyA, keyB] = [recordKey(domain, 'grafana', 'node-front-1'), recordKey(domain, 'grafana', 'node-front-2')];
    await a.sync(new Map([[keyA, '{"host":"10.0.0.1","port":8087}']]));
    await b.sync(new Map([[keyB, '{"host":"10.0.0.2","port":8087}']]));
    assert.deepEqual([...(await a.list(`/skydns/test/etcd/${domain.split('.')[0]}/`)).keys()].sort(), [keyA, keyB]);
    await Promise.all([a.withdrawAll(), b.withdrawAll()]);
    await Promise.all([a.close(), b.close()]);
  });

  it('replaces a lease revoked by someone else and puts every record again, without a sync', async () => {
    const { registry: r, events } = registry();
    const { records } = fixture();
    await r.sync(records);
    const old = r.status().leaseId;
    try {
      await client.leaseClient.leaseRevoke({ ID: old });
      await waitFor(
        async () => {
          const leases = await Promise.all([...records.keys()].map(leaseOf));
          return leases.every((l) => l !== undefined && l !== old && l === r.status().leaseId);
        },
        5000,
        20,
        'the records are back on a new lease',
      );
      // The listener hears of it once the records are back: it may come a moment after they are seen in etcd.
      const replaced = `replaced ${old} -> ${r.status().leaseId}`;
      await waitFor(async () => events.includes(replaced), 2000, 20, `${replaced} (heard: ${events.join(', ')})`);
      await r.withdrawAll();
    } finally {
      await r.close();
    }
  });

  it('replaces at once a lease etcd no longer knows when a sync finds out before the keep-alives do', async () => {
    const events: string[] = [];
    const listener: RegistryListener = {
      leaseReplaced: (before, after) => events.push(`replaced ${before} -> ${after}`),
    };
    // A 30 s lease: its next keep-alive is 10 s away, so the sync is the first to meet the revoked lease.
    const r = new EtcdRegistry({ hosts: [etcd.endpoint], ttlSeconds: 30, listener });
    const { records } = fixture();
    const [first, second] = [...records];
    assert.ok(first && second);
    await r.sync(new Map([first]));
    const old = r.status().leaseId;
    await client.leaseClient.leaseRevoke({ ID: old });
    await r.sync(records);
    const leases = await Promise.all([first[0], second[0]].map(leaseOf));
    assert.deepEqual(
      leases,
      [r.status().leaseId, r.status().leaseId],
      'both records, the old one too, are on the new lease',
    );
    assert.notEqual(r.status().leaseId, old);
    assert.deepEqual(events, [`replaced ${old} -> ${r.status().leaseId}`]);
    await r.withdrawAll();
    await r.close();
  });

  it('survives etcd down for longer than the TTL: records come back by themselves, under a new lease', async () => {
    const { registry: r, events } = registry();
    const { records } = fixture();
    const keys = [...records.keys()];
    await r.sync(records);
    const old = r.status().leaseId;
    await etcd.stop();
    try {
      // An unchanged set sends nothing, so it succeeds even with etcd down.
      await r.sync(records);
      const shorter = new Map([...records].slice(0, 1));
      const start = Date.now();
      await assert.rejects(
        r.sync(shorter),
        (error: unknown) =>
          isRetryable(error) && (error as { code?: string }).code === 'RUNDOCK_E_REGISTRY_UNAVAILABLE',
      );
      assert.ok(Date.now() - start < 3000, `a sync with etcd down rejected after ${Date.now() - start} ms`);
      await sleep(5000); // more than twice the TTL: the client gives the lease up
      assert.equal(r.status().state, 'disconnected');
    } finally {
      await etcd.start();
    }
    // The desired set is the last one given (one record): it is written, and the removed one deleted.
    await waitFor(
      async () => {
        const [kept, removed] = await Promise.all(keys.map(leaseOf));
        return kept !== undefined && kept !== old && kept === r.status().leaseId && removed === undefined;
      },
      10_000,
      20,
      'the desired record is back on a new lease',
    );
    assert.equal(r.status().state, 'connected');
    assert.deepEqual(
      events.filter((e) => !e.startsWith('replaced')),
      ['connected', 'disconnected', 'connected'],
    );
    assert.ok(
      events.some((e) => e.startsWith(`replaced ${old} -> `)),
      events.join(', '),
    );
    // The old lease, renewed by etcd's restart, expires now; the records moved off it and stay.
    await sleep(3500);
    assert.ok((await leaseOf(keys[0] ?? '')) !== undefined, 'the record outlives the old lease');
    await r.withdrawAll();
    await r.close();
  });
});
