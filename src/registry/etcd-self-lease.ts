/**
 * A frontend's self-announcement (`--announce-self www`: `/skydns/.../www/<host>`) on a short lease of its own, so
 * that a dead frontend leaves the public name within seconds while the agent's other records keep their long lease
 * (an agent restart must not withdraw them). docs/records.md, "The self-announcement".
 *
 * - The lease lives 2 s (etcd's shortest with its default 1 s election timeout); it is renewed every 500 ms, each
 *   renewal hedged over the members (etcd-members.ts), so a member slow to reach the leader never lets it expire and
 *   a stall of the agent of up to about 1.4 s is absorbed. A killed or cut-off frontend leaves etcd 2-2.5 s later
 *   (the TTL, then etcd's expiry check every 500 ms), or about 1 s after its death when a peer finds its nginx and
 *   its lease silent (etcd-peer-silence.ts).
 * - etcd extends every lease by its TTL and an election timeout when a new leader takes over, so a frontend that
 *   dies with etcd's leader (its host cut off, its member leading) would stay 4-5 s. Every response carries the raft
 *   term: on a new term the holder puts its record again (proving it is alive in that term) and `termChanged`
 *   tells the peer check (etcd-peer-check.ts), which withdraws the records nobody put again.
 * - Withdrawn (its nginx does not answer, or the agent stops): the lease is revoked, the record goes with it.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Etcd3, ILeaseKeepAliveResponse, IResponseHeader } from 'etcd3';
import { messageOf } from '../shared/errors.js';
import { abandonedMessage } from './etcd-abandon.js';
import type { EtcdMembers } from './etcd-members.js';

/** The lease's TTL asked for, seconds: etcd grants at least its minimum (1.5 × election timeout, rounded up). */
export const SELF_LEASE_TTL_SECONDS = 2;
/** Renewals per TTL: every 500 ms for 2 s. */
const RENEWALS_PER_TTL = 4;
/** After a failed request, the next one this soon (an election ends, another member answers). */
const RETRY_MS = 100;
/** A request not answered within this is sent to the next member too. */
export const HEDGE_MS = 150;

export interface SelfLeaseEvents {
  /** The record is in etcd on lease `lease` (after a grant, a put, or a put again on a new term). */
  announced(lease: string): void;
  /** The lease is revoked: the record is gone. */
  withdrawn(): void;
  /** etcd no longer knew the lease (it expired): a new one is granted and the record put again. */
  lost(lease: string): void;
  /** A request failed on every member; retried in RETRY_MS. */
  failed(error: unknown): void;
  /** A new raft term (a new etcd leader); `revisionBefore`: the newest revision seen in an older term. */
  termChanged(term: number, revisionBefore: number): void;
}

interface Held {
  id: string;
  ttlMs: number;
  /** The desired record is on this lease in etcd (false: put it, again after a new term). */
  written: boolean;
}

/** Holds one key on a short lease; see the module comment. */
export class SelfLease {
  private desired: { key: string; value: string } | undefined;
  private held: Held | undefined;
  private term = 0;
  private revision = 0;
  private readonly closing = new AbortController();
  private wake = new AbortController();
  private readonly loop: Promise<void>;

  constructor(
    private readonly members: EtcdMembers,
    private readonly events: SelfLeaseEvents,
  ) {
    this.loop = this.run();
  }

  /** Wants `key` = `value` in etcd on the lease (granted now if none is held). */
  announce(key: string, value: string): void {
    if (this.desired?.key === key && this.desired.value === value) return;
    this.desired = { key, value };
    if (this.held) this.held.written = false;
    this.wake.abort();
  }

  /** Wants the record gone: the lease is revoked at once. */
  withdraw(): void {
    if (this.desired === undefined) return;
    this.desired = undefined;
    this.wake.abort();
  }

  /** The key wanted, and the lease holding it while one does. */
  status(): { key?: string | undefined; lease?: string | undefined; term: number } {
    return { key: this.desired?.key, lease: this.held?.written ? this.held.id : undefined, term: this.term };
  }

  /** Stops renewing; with `revoke`, revokes the lease first (bounded by `signal`). */
  async close(revoke: boolean, signal?: AbortSignal): Promise<void> {
    if (revoke) this.desired = undefined;
    this.closing.abort();
    this.wake.abort();
    await this.loop;
    const held = this.held;
    this.held = undefined;
    if (revoke && held !== undefined) await this.revoke(held.id, signal);
    this.members.close();
  }

  private async run(): Promise<void> {
    while (!this.closing.signal.aborted) {
      // A change during the step (announce, withdraw) ends the pause after it.
      this.wake = new AbortController();
      const either = AbortSignal.any([this.wake.signal, this.closing.signal]);
      let pause = RETRY_MS;
      try {
        pause = await this.step();
      } catch (error) {
        this.events.failed(error);
      }
      if (pause > 0) await sleep(pause, undefined, { signal: either }).catch(() => undefined);
    }
  }

  /** One move towards the desired state; resolves to the time until the next. */
  private async step(): Promise<number> {
    const want = this.desired;
    const held = this.held;
    if (want === undefined) {
      if (held === undefined) return 60_000;
      this.held = undefined;
      await this.revoke(held.id);
      this.events.withdrawn();
      return 0;
    }
    if (held === undefined) {
      this.held = await this.grant();
      return 0;
    }
    if (!held.written) {
      await this.put(want.key, want.value, held.id);
      held.written = true;
      this.events.announced(held.id);
      return held.ttlMs / RENEWALS_PER_TTL;
    }
    const renewed = await this.keepAlive(held.id, held.ttlMs);
    if (Number(renewed.TTL) <= 0) {
      this.held = undefined;
      this.events.lost(held.id);
      return 0;
    }
    // A new term seen in the answer: put the record again now.
    return held.written ? held.ttlMs / RENEWALS_PER_TTL : 0;
  }

  /** A lease with an ID of our own, so that a grant sent to two members makes one lease (the second is refused). */
  private async grant(): Promise<Held> {
    const id = (randomBytes(8).readBigUInt64BE() >> 2n).toString();
    const granted = await this.members.hedged(
      (c) => c.leaseClient.leaseGrant({ ID: id, TTL: SELF_LEASE_TTL_SECONDS }),
      HEDGE_MS,
    );
    if (granted.error) throw new Error(`etcd refused the lease: ${granted.error}`);
    this.observe(granted.header);
    return { id, ttlMs: Number(granted.TTL) * 1000, written: false };
  }

  private async put(key: string, value: string, lease: string): Promise<void> {
    const put = await this.members.hedged(
      (c) => c.kv.put({ key: Buffer.from(key), value: Buffer.from(value), lease }),
      HEDGE_MS,
    );
    this.observe(put.header);
  }

  private async keepAlive(lease: string, ttlMs: number): Promise<ILeaseKeepAliveResponse> {
    // Not answered within a renewal's interval (a member forwarding it to a leader that stopped answering): asked
    // again, so the first renewal after an election comes within RETRY_MS of it.
    const answer = await this.members.hedged((c) => keepAliveOnce(c, lease, ttlMs / RENEWALS_PER_TTL), HEDGE_MS);
    this.observe(answer.header);
    return answer;
  }

  private async revoke(lease: string, signal?: AbortSignal): Promise<void> {
    const revoked = this.members.hedged((c) => revokeLease(c, lease), HEDGE_MS);
    if (signal === undefined) return void (await revoked);
    revoked.catch(() => undefined); // a stop that stopped waiting leaves the lease to expire
    const abandoned = new Promise<never>((_, reject) => {
      const stop = (): void => reject(new Error(abandonedMessage(signal)));
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
    await Promise.race([revoked, abandoned]);
  }

  /**
   * Follows the raft term, from its own answers and from those of the peer checks (the first to see a new leader
   * tells): on a new one, the record is put again at once and the peer check told.
   */
  observe(header: IResponseHeader): void {
    const term = Number(header.raft_term);
    const revision = Number(header.revision);
    if (term > this.term) {
      const before = this.revision;
      const first = this.term === 0;
      this.term = term;
      if (!first) {
        if (this.held) this.held.written = false;
        this.wake.abort();
        this.events.termChanged(term, before);
      }
    }
    if (term === this.term) this.revision = Math.max(this.revision, revision);
  }
}

/** Revokes `lease`: false when etcd no longer knew it (revoked already through another member, or expired). */
export function revokeLease(client: Etcd3, lease: string): Promise<boolean> {
  return client.leaseClient.leaseRevoke({ ID: lease }).then(
    () => true,
    (error: unknown) => {
      if (/lease not found/i.test(messageOf(error))) return false;
      throw error;
    },
  );
}

/** One keep-alive on its own stream through `client`, given up after `timeoutMs`. */
function keepAliveOnce(client: Etcd3, lease: string, timeoutMs: number): Promise<ILeaseKeepAliveResponse> {
  return client.leaseClient.leaseKeepAlive().then(
    (stream) =>
      new Promise((resolve, reject) => {
        const end = (): void => {
          clearTimeout(timer);
          // The gRPC call under etcd3's stream: cancelled, so a member that does not answer holds nothing open.
          (stream as { cancel?: () => void }).cancel?.();
        };
        const timer = setTimeout(() => (reject(new Error('no keep-alive answer')), end()), timeoutMs);
        stream.on('data', (answer: ILeaseKeepAliveResponse) => (resolve(answer), end()));
        stream.on('error', (error: Error) => (reject(error), end()));
        stream.write({ ID: lease });
      }),
  );
}
