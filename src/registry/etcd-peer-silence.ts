/**
 * Withdraws a dead peer frontend about 1 s after its death instead of its lease's 2-2.5 s: each frontend with a
 * check of its own nginx (`--announce-self-check`) asks the other frontends' nginx the same way, every 250 ms, at
 * the address they announce. A peer whose nginx failed two probes in a row is judged by etcd: when its lease has
 * less than a second left (etcd's remaining TTL, in whole seconds, is 0: no renewal reached the leader for over a
 * second, where a live frontend renews every 500 ms), the lease is revoked and the record goes with it.
 *
 * Two witnesses, each with its own path, must agree: a frontend whose agent stalls keeps its nginx answering; a
 * frontend slow to reach its peers (a delay between them) keeps renewing through etcd; a prober cut off from etcd's
 * quorum revokes nothing (a revoke is a raft proposal). A live frontend judged wrongly anyway (its nginx and its
 * renewals late together) finds its lease gone at its next renewal and is back on a new one within about 0.5 s
 * (etcd-self-lease.ts). After a new etcd leader every lease is extended, so this never fires then: the term check
 * (etcd-peer-check.ts) covers that case, and the lease lookups this check makes of a silent peer (every 250 ms) are
 * often the first answers to carry the new term: they start that check's grace sooner.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IResponseHeader } from 'etcd3';
import type { EtcdMembers } from './etcd-members.js';
import { isSelfLease, peerRecords, seenRecord } from './etcd-peer-check.js';
import { HEDGE_MS, revokeLease } from './etcd-self-lease.js';
import { decodeRecord } from './record.js';

/** The peers' nginx are asked this often. */
export const PROBE_INTERVAL_MS = 250;
/** Failed probes in a row before etcd is asked about the peer's lease. */
export const PROBE_FAILURES = 2;
/** The peers (the records under the name) are read again this often. */
export const PEERS_EVERY_MS = 2000;

/** Asks a peer's nginx at `host`: undefined when it answered, else why not. */
export type PeerProbe = (host: string) => Promise<string | undefined>;

export interface PeerSilenceEvents {
  /** Every etcd answer's header: its raft term may be the first sign of a new leader (etcd-self-lease.ts). */
  answered(header: IResponseHeader): void;
  /** A peer's lease was revoked, its record with it (its key, and what its probe said). */
  withdrew(key: string, reason: string): void;
  /** etcd could not be asked; the peers' leases expire by themselves. */
  failed(error: unknown): void;
}

interface Peer {
  key: string;
  lease: string;
  host: string;
  failures: number;
  lastFailure: string;
}

/** etcd's answer about a lease: a self-lease with less than a second left. Pure. */
export function leaseSilent(lease: { TTL: string; grantedTTL: string }): boolean {
  return isSelfLease(lease) && Number(lease.TTL) <= 0;
}

/** Probes the peers and judges the silent ones; see the module comment. */
export class PeerSilence {
  private peers = new Map<string, Peer>();
  private listedAt = -Infinity;
  private readonly closing = new AbortController();
  private readonly loop: Promise<void>;

  constructor(
    private readonly members: EtcdMembers,
    /** The name's prefix (`/skydns/.../www/`) and this host's key under it. */
    private readonly prefix: string,
    private readonly own: string,
    private readonly probe: PeerProbe,
    private readonly events: PeerSilenceEvents,
  ) {
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.loop;
    this.members.close();
  }

  private async run(): Promise<void> {
    const { signal } = this.closing;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        if (started - this.listedAt >= PEERS_EVERY_MS) await this.list();
        await Promise.all([...this.peers.values()].map((peer) => this.judge(peer)));
      } catch (error) {
        if (!signal.aborted) this.events.failed(error);
      }
      const pause = Math.max(0, PROBE_INTERVAL_MS - (Date.now() - started));
      await sleep(pause, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Reads the peers' records; a peer seen before keeps its count of failures. */
  private async list(): Promise<void> {
    const range = await this.members.hedged((c) => c.getAll().prefix(this.prefix).exec(), HEDGE_MS);
    this.events.answered(range.header);
    const peers = new Map<string, Peer>();
    for (const record of peerRecords(range.kvs.map(seenRecord), this.prefix, this.own)) {
      const decoded = decodeRecord(record.value);
      if (!decoded.ok || decoded.record.host === undefined) continue;
      const known = this.peers.get(record.key);
      const same = known?.lease === record.lease && known.host === decoded.record.host;
      const { key, lease } = record;
      peers.set(key, same ? known : { key, lease, host: decoded.record.host, failures: 0, lastFailure: '' });
    }
    this.peers = peers;
    this.listedAt = Date.now();
  }

  private async judge(peer: Peer): Promise<void> {
    const failure = await this.probe(peer.host);
    if (failure === undefined) return void (peer.failures = 0);
    peer.failures += 1;
    peer.lastFailure = failure;
    if (peer.failures < PROBE_FAILURES || this.closing.signal.aborted) return;
    const lease = await this.members.hedged((c) => c.leaseClient.leaseTimeToLive({ ID: peer.lease }), HEDGE_MS);
    this.events.answered(lease.header);
    if (!leaseSilent(lease)) return;
    const revoked = await this.members.hedged((c) => revokeLease(c, peer.lease), HEDGE_MS);
    this.peers.delete(peer.key);
    if (revoked) this.events.withdrew(peer.key, peer.lastFailure);
  }
}
