/**
 * A frontend's self-announcement in etcd: the record on its own short lease (etcd-self-lease.ts), and the check of
 * the peers announced under the same name after each new etcd leader (etcd-peer-check.ts). docs/records.md, "The
 * self-announcement".
 */
import { EtcdMembers } from './etcd-members.js';
import type { EtcdConnection } from './etcd-connection.js';
import { PeerCheck } from './etcd-peer-check.js';
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
  /** The peer check withdrew another frontend's record (its key). */
  peerWithdrawn(key: string): void;
}

/** Per request to one member: a lease of 2 s leaves no time to wait on a member that does not answer. */
const REQUEST_TIMEOUT_MS = 500;

/** The self-announcement `key` under the name's `prefix`, on etcd. */
export function etcdSelfRecord(
  connection: EtcdConnection,
  prefix: string,
  key: string,
  listener: SelfRecordListener,
): SelfRecord {
  const members = (): EtcdMembers => new EtcdMembers(connection, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
  const check = new PeerCheck(members(), prefix, key, {
    withdrew: (peer) => listener.peerWithdrawn(peer),
    failed: (error) => listener.failed(error),
  });
  const lease = new SelfLease(members(), {
    announced: (id) => listener.announced(id),
    withdrawn: () => undefined,
    lost: (id) => listener.lost(id),
    failed: (error) => listener.failed(error),
    termChanged: (_term, before) => check.termChanged(before),
  });
  return {
    announce: (k, value) => lease.announce(k, value),
    withdraw: () => lease.withdraw(),
    status: () => {
      const s = lease.status();
      return { announced: s.lease !== undefined, lease: s.lease, term: s.term };
    },
    close: async (withdraw, signal) => {
      await check.close();
      await lease.close(withdraw, signal);
    },
  };
}
