/**
 * One contract for both ACME stores (store-local.ts in unit tests, store-etcd.ts against a real etcd in
 * test/integration/gateway/acme-store.test.ts): the order lock is exclusive and released, challenges are answered
 * while their lock is held, a certificate is stored only under its lock and reaches every watcher, accounts are kept.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { StoredCertificate } from '../../registry/acme-keys.js';
import { waitFor } from '../../../test/support/wait.js';
import type { AcmeStore } from './store.js';

/** Registers the contract's tests; `open()` gives a fresh store (and a second one sharing its state, for etcd). */
export function acmeStoreContract(open: () => Promise<{ store: AcmeStore; other: AcmeStore }>): void {
  const certificate = (hostname: string, serial: string): StoredCertificate => ({
    hostname,
    certificate: '-----BEGIN CERTIFICATE-----\n...',
    key: '-----BEGIN PRIVATE KEY-----\n...',
    serial,
    not_before: '2026-01-01T00:00:00.000Z',
    not_after: '2026-04-01T00:00:00.000Z',
    directory: 'https://ca.example/dir',
  });

  it('holds one order lock per hostname at a time, and frees it on release', async () => {
    const { store, other } = await open();
    const lock = await store.lock('a.example.com');
    assert.ok(lock !== undefined);
    assert.equal(await other.lock('a.example.com'), undefined);
    const second = await other.lock('b.example.com');
    assert.ok(second !== undefined);
    await lock.release();
    const again = await other.lock('a.example.com');
    assert.ok(again !== undefined);
    await Promise.all([second.release(), again.release()]);
    await Promise.all([store.close(), other.close()]);
  });

  it('answers a challenge while its lock is held, from every store, and forgets it with the lock', async () => {
    const { store, other } = await open();
    const lock = await store.lock('c.example.com');
    assert.ok(lock !== undefined);
    await lock.putChallenge('tok_EN-1', 'tok_EN-1.thumb');
    await waitFor(() => other.keyAuthorization('tok_EN-1') === 'tok_EN-1.thumb', 5000, 10, 'the challenge is seen');
    assert.equal(store.keyAuthorization('tok_EN-1'), 'tok_EN-1.thumb');
    await lock.release();
    await waitFor(() => other.keyAuthorization('tok_EN-1') === undefined, 5000, 10, 'the challenge is gone');
    assert.equal(other.keyAuthorization('../x'), undefined);
    await Promise.all([store.close(), other.close()]);
  });

  it('stores a certificate under its lock for every watcher; after the lock is gone, refuses to', async () => {
    const { store, other } = await open();
    const seen: string[] = [];
    const unwatch = other.watchCertificates((all) => seen.push(all.get('d.example.com')?.serial ?? '-'));
    const lock = await store.lock('d.example.com');
    assert.ok(lock !== undefined);
    assert.equal(await lock.storeCertificate(certificate('d.example.com', 'AA01')), true);
    await waitFor(() => seen.includes('AA01'), 5000, 10, 'the watcher sees the certificate');
    await lock.release();
    assert.equal(await lock.storeCertificate(certificate('d.example.com', 'BB02')), false);
    unwatch();
    await Promise.all([store.close(), other.close()]);
  });

  it('keeps the account of each directory', async () => {
    const { store, other } = await open();
    assert.equal(await store.account('https://ca.example/dir'), undefined);
    const account = {
      directory: 'https://ca.example/dir',
      email: 'ops@example.com',
      key: 'KEY',
      url: 'https://ca.example/acct/1',
    };
    await store.saveAccount(account);
    assert.deepEqual(await other.account('https://ca.example/dir'), account);
    assert.equal(await other.account('https://other.example/dir'), undefined);
    await Promise.all([store.close(), other.close()]);
  });
}
