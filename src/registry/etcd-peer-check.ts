/**
 * After etcd elects a new leader, withdraws the self-announcements of frontends that did not prove themselves alive
 * in the new term. A new leader extends every lease (by its TTL and an election timeout), so the short lease of a
 * frontend that died with the old leader would otherwise live 4-5 s after its death (etcd-self-lease.ts).
 *
 * Every frontend puts its record again as soon as it sees the new term. `GRACE_MS` after this frontend saw it, the
 * check reads the records of the name and withdraws each one of another host that was not put since the term
 * changed (its mod revision is not above the newest revision of the older term), with a transaction guarded by
 * that mod revision: a record put meanwhile is never deleted. Only records on a short lease (a self-lease, granted
 * TTL at most MAX_SELF_TTL_SECONDS) are judged: a record of an older agent on its long lease is left alone.
 *
 * The boundary is conservative: a record put after this frontend's last answer of the older term (within 500 ms
 * of the election) counts as proven, and is left to its lease.
 *
 * Why this withdraws no live frontend: the transaction needs etcd's quorum, so a frontend cut off from it withdraws
 * no one; a live frontend puts its record within a round trip of seeing the new term, well within the grace; and
 * the check runs only after a term change, so the last frontend standing has nothing to fear from a dead one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IKeyValue } from 'etcd3';
import { DNS_LABEL } from '../shared/dns-label.js';
import type { EtcdMembers } from './etcd-members.js';
import { HEDGE_MS } from './etcd-self-lease.js';

/** How long after a new term live frontends have to put their records again before the others' judgement. */
export const GRACE_MS = 600;
/** A lease granted for at most this long is a self-lease; records on longer ones are never judged. */
export const MAX_SELF_TTL_SECONDS = 5;

/** A record as the checks see it: key, the revision of its last put, its lease (0: none), its value. */
export interface SeenRecord {
  key: string;
  modRevision: number;
  lease: string;
  value: string;
}

/** The records under `prefix` (one level: `<prefix><host>`) of other hosts than `own`, on a lease. Pure. */
export function peerRecords(records: readonly SeenRecord[], prefix: string, own: string): SeenRecord[] {
  return records.filter(
    (r) => r.key.startsWith(prefix) && r.key !== own && DNS_LABEL.test(r.key.slice(prefix.length)) && r.lease !== '0',
  );
}

/** The peers' records (peerRecords) not put since `revisionBefore` (the newest revision of the term before). Pure. */
export function unprovenPeers(
  records: readonly SeenRecord[],
  prefix: string,
  own: string,
  revisionBefore: number,
): SeenRecord[] {
  return peerRecords(records, prefix, own).filter((r) => r.modRevision <= revisionBefore);
}

/** Whether a lease etcd describes so is a self-lease (granted for at most MAX_SELF_TTL_SECONDS). */
export function isSelfLease(lease: { grantedTTL: string }): boolean {
  const granted = Number(lease.grantedTTL);
  return granted > 0 && granted <= MAX_SELF_TTL_SECONDS;
}

export interface PeerCheckEvents {
  /** A peer's record was withdrawn (its key). */
  withdrew(key: string): void;
  /** The check could not run through (etcd unreachable): the peers' leases expire by themselves. */
  failed(error: unknown): void;
}

/** Runs the check after each term change; see the module comment. */
export class PeerCheck {
  private readonly closing = new AbortController();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly members: EtcdMembers,
    /** The name's prefix (`/skydns/.../www/`) and this host's key under it. */
    private readonly prefix: string,
    private readonly own: string,
    private readonly events: PeerCheckEvents,
  ) {}

  /** A new term was seen: check the peers after the grace (checks run one after another). */
  termChanged(revisionBefore: number): void {
    this.pending = this.pending.then(async () => {
      await sleep(GRACE_MS, undefined, { signal: this.closing.signal }).catch(() => undefined);
      if (this.closing.signal.aborted) return;
      await this.check(revisionBefore).catch((error: unknown) => this.events.failed(error));
    });
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.pending;
    this.members.close();
  }

  private async check(revisionBefore: number): Promise<void> {
    const range = await this.members.hedged((c) => c.getAll().prefix(this.prefix).exec(), HEDGE_MS);
    const seen = range.kvs.map(seenRecord);
    for (const peer of unprovenPeers(seen, this.prefix, this.own, revisionBefore)) {
      const lease = await this.members.hedged((c) => c.leaseClient.leaseTimeToLive({ ID: peer.lease }), HEDGE_MS);
      if (!isSelfLease(lease)) continue;
      const key = Buffer.from(peer.key);
      const txn = await this.members.hedged(
        (c) =>
          c.kv.txn({
            compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: String(peer.modRevision) }],
            success: [{ request_delete_range: { key } }],
          }),
        HEDGE_MS,
      );
      if (txn.succeeded) this.events.withdrew(peer.key);
    }
  }
}

export function seenRecord(kv: IKeyValue): SeenRecord {
  return {
    key: kv.key.toString(),
    modRevision: Number(kv.mod_revision),
    lease: String(kv.lease ?? '0'),
    value: kv.value.toString(),
  };
}
