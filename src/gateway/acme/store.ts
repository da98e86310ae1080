/**
 * Where automatic HTTPS keeps its state: the port shared by the etcd store (a cluster: every frontend shares
 * certificates, challenges and order locks, store-etcd.ts) and the local store (one machine with the embedded
 * registry, store-local.ts). One contract suite runs against both (store.contract.ts).
 */
import type { StoredAccount, StoredCertificate } from '../../registry/acme-keys.js';

/** The order lock of one hostname, held on a lease: a gateway that dies loses it, and another takes over. */
export interface AcmeLock {
  readonly hostname: string;
  /** Aborts when the lock is lost (its lease expired or was revoked): the order stops. */
  readonly lost: AbortSignal;
  /** Publishes a challenge's key authorization where every gateway answers it; it goes with the lock. */
  putChallenge(token: string, keyAuthorization: string): Promise<void>;
  deleteChallenge(token: string): Promise<void>;
  /** Stores the certificate if the lock is still held (fenced); false when it was lost meanwhile. */
  storeCertificate(certificate: StoredCertificate): Promise<boolean>;
  /** Gives the lock (and its challenges) up. Never throws: an unreachable registry lets the lease expire. */
  release(): Promise<void>;
}

/** The state automatic HTTPS shares between gateways. */
export interface AcmeStore {
  /** Every stored certificate by hostname: the current set at once (once loaded), then after each change. */
  watchCertificates(onChange: (certificates: ReadonlyMap<string, StoredCertificate>) => void): () => void;
  /** The key authorization a gateway published for `token`, from memory (the challenge listener's answer). */
  keyAuthorization(token: string): string | undefined;
  account(directory: string): Promise<StoredAccount | undefined>;
  saveAccount(account: StoredAccount): Promise<void>;
  /** Takes `hostname`'s order lock; undefined while another gateway holds it. */
  lock(hostname: string): Promise<AcmeLock | undefined>;
  close(): Promise<void>;
}
