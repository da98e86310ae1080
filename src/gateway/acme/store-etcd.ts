/**
 * The ACME store of a cluster, in etcd (keys: registry/acme-keys.ts): certificates and challenges followed through the
 * process's feeds (one watch each, answered from memory), the account read and written on demand, and each order's
 * lock held on a lease of its own with the order's challenges attached: a gateway that dies mid-order loses the lock
 * and its challenges one lease TTL later, and another gateway takes the order over. A certificate is stored only
 * while its order's lock is still held (a transaction comparing the lock key's lease), so a gateway that lost its
 * lock never overwrites the certificate of the one that took over.
 */
import type { Etcd3, Lease } from 'etcd3';
import {
  ACME_CERTS_PREFIX,
  ACME_CHALLENGES_PREFIX,
  accountKey,
  certificateKey,
  challengeKey,
  decodeAccount,
  decodeCertificate,
  encodeAccount,
  encodeCertificate,
  lockKey,
  type StoredAccount,
  type StoredCertificate,
} from '../../registry/acme-keys.js';
import { etcdClient } from '../../registry/etcd-client.js';
import { etcdClientOptions, type EtcdConnection } from '../../registry/etcd-connection.js';
import type { FeedProvider, FeedState } from '../../registry/feed.js';
import { KeyValueView } from '../key-value-view.js';
import type { AcmeLock, AcmeStore } from './store.js';

export interface EtcdAcmeStoreOptions {
  readonly connection: EtcdConnection;
  /** The process's feeds: the certificates and challenges prefixes are followed through them. */
  readonly feeds: FeedProvider;
  /** TTL of an order lock's lease, seconds: how long a dead gateway's order blocks the others. */
  readonly lockTtlSeconds: number;
  /** Written into the lock key: who holds it (the gateway's host name). */
  readonly holder: string;
  /** Deadline of each request, ms (default 5000). */
  readonly requestTimeoutMs?: number;
}

/** The etcd store, once its feeds follow the certificates and challenges. */
export async function etcdAcmeStore(o: EtcdAcmeStoreOptions): Promise<AcmeStore> {
  const store = new EtcdAcmeStore(o);
  await store.follow();
  return store;
}

class EtcdAcmeStore implements AcmeStore {
  private readonly client: Etcd3;
  private readonly watchers = new Set<(certificates: ReadonlyMap<string, StoredCertificate>) => void>();
  private readonly certificates = new KeyValueView(() => this.notify());
  private readonly challenges = new KeyValueView(() => undefined);
  private readonly unsubscribe: (() => void)[] = [];
  private loaded = false;

  constructor(private readonly o: EtcdAcmeStoreOptions) {
    const timeout = o.requestTimeoutMs ?? 5000;
    this.client = etcdClient({
      ...etcdClientOptions(o.connection),
      dialTimeout: timeout,
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
    });
  }

  async follow(): Promise<void> {
    const [certificates, challenges] = await Promise.all([
      this.o.feeds.feed(ACME_CERTS_PREFIX),
      this.o.feeds.feed(ACME_CHALLENGES_PREFIX),
    ]);
    this.unsubscribe.push(
      certificates.subscribe(this.certificates, (state) => this.onCertificatesState(state)),
      challenges.subscribe(this.challenges, () => undefined),
    );
  }

  private onCertificatesState(state: FeedState): void {
    if (state !== 'watching' || this.loaded) return;
    this.loaded = true;
    this.notify();
  }

  watchCertificates(onChange: (certificates: ReadonlyMap<string, StoredCertificate>) => void): () => void {
    this.watchers.add(onChange);
    if (this.loaded) onChange(this.decoded());
    return () => void this.watchers.delete(onChange);
  }

  keyAuthorization(token: string): string | undefined {
    try {
      return this.challenges.get(challengeKey(token));
    } catch {
      return undefined; // not a token: nobody published it
    }
  }

  async account(directory: string): Promise<StoredAccount | undefined> {
    const text = await this.client.get(accountKey(directory)).string();
    return text === null ? undefined : decodeAccount(text);
  }

  async saveAccount(account: StoredAccount): Promise<void> {
    await this.client.put(accountKey(account.directory)).value(encodeAccount(account)).exec();
  }

  async lock(hostname: string): Promise<AcmeLock | undefined> {
    const key = lockKey(hostname);
    const lease = this.client.lease(this.o.lockTtlSeconds, { autoKeepAlive: true });
    const id = await lease.grant().catch(async (error: unknown) => {
      lease.release();
      throw error;
    });
    const taken = await this.client
      .if(key, 'Create', '==', 0)
      .then(this.client.put(key).value(this.o.holder).lease(id))
      .commit()
      .catch(async (error: unknown) => {
        await revoke(lease);
        throw error;
      });
    if (!taken.succeeded) {
      await revoke(lease);
      return undefined;
    }
    return this.held(hostname, key, lease, id);
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    this.watchers.clear();
    this.client.close();
  }

  private held(hostname: string, key: string, lease: Lease, id: string): AcmeLock {
    const lost = new AbortController();
    lease.on('lost', (error) => lost.abort(error));
    return {
      hostname,
      lost: lost.signal,
      putChallenge: async (token, keyAuthorization) => {
        await this.client.put(challengeKey(token)).value(keyAuthorization).lease(id).exec();
      },
      deleteChallenge: async (token) => {
        await this.client.delete().key(challengeKey(token)).exec();
      },
      storeCertificate: async (certificate) => {
        const stored = await this.client
          .if(key, 'Lease', '==', id)
          .then(this.client.put(certificateKey(hostname)).value(encodeCertificate(certificate)))
          .commit();
        return stored.succeeded;
      },
      release: () => revoke(lease),
    };
  }

  private decoded(): Map<string, StoredCertificate> {
    const certificates = new Map<string, StoredCertificate>();
    for (const [key, value] of this.certificates.entries()) {
      const certificate = decodeCertificate(value);
      if (certificate !== undefined && key === `${ACME_CERTS_PREFIX}${certificate.hostname}`)
        certificates.set(certificate.hostname, certificate);
    }
    return certificates;
  }

  private notify(): void {
    if (!this.loaded) return;
    const certificates = this.decoded();
    for (const watcher of [...this.watchers]) watcher(certificates);
  }
}

/** Revokes a lease (its lock key and challenges go with it); an unreachable etcd lets it expire instead. */
async function revoke(lease: Lease): Promise<void> {
  lease.removeAllListeners();
  await lease.revoke().catch(() => lease.release());
}
