/**
 * The contract every Registry implementation passes. Run it from the implementation's tests:
 * `registryContract('EtcdRegistry', async () => ({ registry, reader, revision, cleanup }))`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { domainPrefix, hostKey, recordKey, servicePrefix } from './path.js';
import { encodeRecord } from './record.js';
import type { Registry } from './registry.js';

/** One registry under test, with a view of its store that does not go through it. */
export interface ContractSubject {
  registry: Registry;
  /** Every key under `prefix` in the backing store, read independently of `registry` (another client, the file). */
  reader: (prefix: string) => Promise<Map<string, string>>;
  /**
   * Optional: a value that changes whenever the backing store is written (etcd: the store revision). With it, the
   * suite proves that syncing an unchanged set writes nothing.
   */
  revision?: () => Promise<unknown>;
  /** Closes the registry and removes what the subject created. */
  cleanup: () => Promise<void>;
}

/** Defines the contract tests for one implementation; `makeRegistry` is called once per test. */
export function registryContract(name: string, makeRegistry: () => Promise<ContractSubject>): void {
  describe(`Registry contract: ${name}`, () => {
    let subject: ContractSubject;
    // A fresh domain and host per test: tests never see each other's records, even on one shared etcd.
    let domain: string;
    let host: string;

    beforeEach(async () => {
      domain = `c${randomBytes(4).toString('hex')}.contract.test`;
      host = `node-${randomBytes(4).toString('hex')}`;
      subject = await makeRegistry();
    });
    afterEach(() => subject.cleanup());

    const influxdb = (): string => recordKey(domain, 'influxdb', host);
    const grafana = (): string => recordKey(domain, 'grafana', host);
    const records = (): Map<string, string> =>
      new Map([
        [influxdb(), encodeRecord({ host: '10.0.0.5', port: 8086, ttl: 30 })],
        [grafana(), encodeRecord({ host: '10.0.0.5', port: 8087, ttl: 30, priority: 10, weight: 5 })],
        [hostKey(host), JSON.stringify({ host, note: 'quotes " and unicode é ✓' })],
      ]);
    const stored = async (): Promise<Map<string, string>> =>
      new Map([...(await subject.reader(domainPrefix(domain))), ...(await subject.reader(hostKey(host)))]);

    it('sync writes every record with its exact value', async () => {
      await subject.registry.sync(records());
      assert.deepEqual(await stored(), records());
      assert.equal(subject.registry.status().written, 3);
    });

    it('a second sync of the same set writes nothing', async () => {
      await subject.registry.sync(records());
      const before = await subject.revision?.();
      await subject.registry.sync(records());
      assert.deepEqual(await subject.revision?.(), before);
      assert.deepEqual(await stored(), records());
    });

    it('sync deletes removed records, updates changed ones and leaves the rest', async () => {
      await subject.registry.sync(records());
      const next = records();
      next.delete(grafana());
      next.set(influxdb(), encodeRecord({ host: '10.0.0.6', port: 8086, ttl: 30 }));
      await subject.registry.sync(next);
      assert.deepEqual(await stored(), next);
      assert.equal(subject.registry.status().written, 2);
    });

    it('list returns the records under a prefix and nothing outside it', async () => {
      await subject.registry.sync(records());
      assert.deepEqual(
        await subject.registry.list(servicePrefix(domain, 'influxdb')),
        new Map([[influxdb(), records().get(influxdb())]]),
      );
      assert.deepEqual(
        [...(await subject.registry.list(domainPrefix(domain))).keys()].sort(),
        [grafana(), influxdb()].sort(),
      );
      assert.deepEqual(await subject.registry.list(servicePrefix(domain, 'nothing')), new Map());
    });

    it('withdrawAll deletes every record, and a later sync writes them again', async () => {
      await subject.registry.sync(records());
      await subject.registry.withdrawAll();
      assert.deepEqual(await stored(), new Map());
      assert.equal(subject.registry.status().written, 0);
      await subject.registry.sync(records());
      assert.deepEqual(await stored(), records());
    });

    it('an empty sync on an empty registry writes nothing', async () => {
      const before = await subject.revision?.();
      await subject.registry.sync(new Map());
      assert.deepEqual(await subject.revision?.(), before);
      assert.deepEqual(await stored(), new Map());
    });
  });
}
