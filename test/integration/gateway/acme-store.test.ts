/** The ACME store contract (src/gateway/acme/store.contract.ts) against a real etcd: two gateways' stores share it. */
import { after, before, describe } from 'node:test';
import { etcdAcmeStore } from '../../../src/gateway/acme/store-etcd.js';
import { acmeStoreContract } from '../../../src/gateway/acme/store.contract.js';
import { ProcessFeeds } from '../../../src/registry/feeds.js';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { testLogger } from './backends.js';

let etcd: EtcdProcess;
const feeds: ProcessFeeds[] = [];

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await Promise.all(feeds.map((f) => f.stop()));
  await etcd?.kill();
});

describe('EtcdAcmeStore (the contract)', () => {
  acmeStoreContract(async () => {
    // Each test gets its own etcd content: the keys it uses are its own.
    const open = async (holder: string): Promise<Awaited<ReturnType<typeof etcdAcmeStore>>> => {
      const f = new ProcessFeeds({ source: { etcd: { hosts: [etcd.endpoint] } }, log: testLogger() });
      feeds.push(f);
      return etcdAcmeStore({ connection: { hosts: [etcd.endpoint] }, feeds: f, lockTtlSeconds: 5, holder });
    };
    return { store: await open('gw-1'), other: await open('gw-2') };
  });
});
