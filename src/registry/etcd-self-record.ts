/**
 * A frontend's self-announcement in etcd: the record on its own short lease (etcd-self-lease.ts), the check of the
 * peers announced under the same name after each new etcd leader (etcd-peer-check.ts) and, with a probe of their
 * nginx, the withdrawal of peers whose nginx and lease both fell silent (etcd-peer-silence.ts). docs/records.md,
 * "The self-announcement".
 */
import { EtcdMembers } from './etcd-members.js';
import type { EtcdConnection } from './etcd-connection.js';
import { PeerCheck } from './etcd-peer-check.js';
import { PeerSilence, type PeerProbe } from './etcd-peer-silence.js';
import { SelfLease } from './etcd-self-lease.js';

/** Where a self-announcement stands, as the agent's /status shows it. */
export interface SelfRecordStatus {
  /** The record is in the registry. */
  announced: boolean;
  /** The short lease holding it (etcd only). */
  lease?: string | undefined;
  /** The etcd raft term last seen (etcd only). */
  term?: number | undefined;
}

/** Keeps one record in the registry while wanted; see etcd-self-lease.ts for etcd, the agent's records without it. */
export interface SelfRecord {
  announce(key: string, value: string): void;
  withdraw(): void;
  status(): SelfRecordStatus;
  /** Stops keeping it; with `withdraw`, deletes it first (bounded by `signal`), else it expires with its lease. */
  close(withdraw: boolean, signal?: AbortSignal): Promise<void>;
}

/** What happens to an etcd self-announcement; handlers must return quickly. */
export interface SelfRecordListener {
  announced(lease: string): void;
  lost(lease: string): void;
  failed(error: unknown): void;
  /** etcd could not be asked about a silent peer (the peer's lease then expires by itself). */
  peerProbeFailed(error: unknown): void;
  /** Another frontend's record was withdrawn (its key): `term` after a new etcd leader, `silent` by its probe. */
  peerWithdrawn(key: string, why: PeerWithdrawal): void;
}

export type PeerWithdrawal = { by: 'term' } | { by: 'silent'; probe: string };

/** Per request to one member: a lease of 2 s leaves no time to wait on a member that does not answer. */
const REQUEST_TIMEOUT_MS = 500;

/** The self-announcement `key` under the name's `prefix`, on etcd; `probe` asks a peer's nginx (none: not asked). */
export function etcdSelfRecord(
  connection: EtcdConnection,
  prefix: string,
  key: string,
  listener: SelfRecordListener,
  probe?: PeerProbe,
): SelfRecord {
  const members = (): EtcdMembers => new EtcdMembers(connection, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
  const check = new PeerCheck(members(), prefix, key, {
    withdrew: (peer) => listener.peerWithdrawn(peer, { by: 'term' }),
    failed: (error) => listener.failed(error),
  });
  const lease = new SelfLease(members(), {
    announced: (id) => listener.announced(id),
    withdrawn: () => undefined,
    lost: (id) => listener.lost(id),
    failed: (error) => listener.failed(error),
    termChanged: (_term, before) => check.termChanged(before),
  });
  const silence =
    probe &&
    new PeerSilence(members(), prefix, key, probe, {
      answered: (header) => lease.observe(header),
      withdrew: (peer, failure) => listener.peerWithdrawn(peer, { by: 'silent', probe: failure }),
      failed: (error) => listener.peerProbeFailed(error),
    });
  return {
    announce: (k, value) => lease.announce(k, value),
    withdraw: () => lease.withdraw(),
    status: () => {
      const s = lease.status();
      return { announced: s.lease !== undefined, lease: s.lease, term: s.term };
    },
    close: async (withdraw, signal) => {
      await Promise.all([check.close(), silence?.close()]);
      await lease.close(withdraw, signal);
    },
  };
}
