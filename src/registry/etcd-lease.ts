/**
 * The one lease an EtcdRegistry attaches its records to: granted on first use, kept alive by etcd3's keep-alive
 * stream, and watched for renewals that come late.
 *
 * A keep-alive stream can sit on a connection that no longer moves (an etcd member cut off from this host) for
 * up to the gRPC keep-alive ping's timeout before it fails over, and the lease expires TTL seconds after its last
 * renewal. So the holder does not wait for the stream: once half the TTL has passed without a renewal it reports
 * the lease `late`, and the registry moves its records to a new lease (a put moves a key to another lease
 * atomically) while the old one still holds them. A healthy host's records never vanish because the member its
 * stream happened to use went away.
 *
 * A lease granted by the agent before this one (stopped, its records left in place) is taken over while it is
 * alive (`adopt`): the same lease, kept alive from then on, so no record is put again or deleted on the way.
 */
import type { CallOptions } from '@grpc/grpc-js';
import { Lease, type Etcd3 } from 'etcd3';

/** What happens to the lease, as the holder reports it. Called synchronously; handlers must return quickly. */
export interface LeaseEvents {
  /** etcd says lease `id` is gone (expired or revoked), and every record attached to it. The holder has let it go. */
  lost(error: unknown, id: string): void;
  /** No renewal for half the TTL: the lease may expire soon, though etcd has not said so. */
  late(): void;
  /** A keep-alive was answered: etcd is reachable. */
  renewed(): void;
  /** A keep-alive failed (etcd3 retries the stream by itself). */
  failed(error: unknown): void;
}

interface Held {
  lease: Lease;
  id: string;
  renewedAt: number;
}

/** What etcd says of a lease an earlier agent granted (`adopt`). */
export interface FoundLease {
  /** The keys attached to it. */
  keys: string[];
  /** Whether it is now the held lease: alive with this holder's TTL (another TTL is left to expire, see `adopt`). */
  adopted: boolean;
}

/** Holds at most one lease at a time; see the module comment. */
export class LeaseHolder {
  private held: Held | undefined;
  private lateTimer: NodeJS.Timeout | undefined;
  private readonly lateAfterMs: number;

  constructor(
    private readonly client: Etcd3,
    private readonly ttlSeconds: number,
    private readonly events: LeaseEvents,
    private readonly now: () => number = Date.now,
  ) {
    this.lateAfterMs = (ttlSeconds * 1000) / 2;
  }

  /** The current lease's id, if one is held. */
  get id(): string | undefined {
    return this.held?.id;
  }

  /**
   * The current lease's id, granting a new lease first if none is held. Rejects when etcd cannot grant one.
   * Callers run one at a time (the registry's Serial), so two grants never race.
   */
  async acquire(): Promise<string> {
    if (this.held) return this.held.id;
    const granted = await this.grant();
    this.hold(granted);
    return granted.id;
  }

  /**
   * Takes over lease `id`, granted by an earlier agent in etcd cluster `cluster`, if it is alive there: it becomes the
   * held lease, kept alive from now on, when its TTL is this holder's; with another TTL (the agent's --lease-ttl
   * changed) it is left to expire and the caller moves its records to a new lease. Resolves to its keys, or undefined
   * when it is gone or another cluster answers; rejects when etcd cannot be asked. Call before any other use.
   */
  async adopt(id: string, cluster: string, options?: CallOptions): Promise<FoundLease | undefined> {
    const found = await this.client.leaseClient.leaseTimeToLive({ ID: id, keys: true }, options);
    // etcd answers TTL -1 for a lease it does not know (expired, revoked, never granted).
    if (found.header.cluster_id !== cluster || !(Number(found.TTL) > 0)) return undefined;
    const adopted = Number(found.grantedTTL) === this.ttlSeconds;
    if (adopted) this.hold({ lease: grantedBefore(this.client, id, this.ttlSeconds), id, renewedAt: this.now() });
    return { keys: (found.keys ?? []).map((key) => Buffer.from(key).toString('utf8')), adopted };
  }

  /**
   * Grants a new lease and makes it current, then stops renewing the old one without revoking it: records still
   * attached to the old lease live until it expires. Resolves to the old lease's id; rejects, keeping the old lease,
   * when etcd cannot grant one.
   */
  async replace(): Promise<string | undefined> {
    const granted = await this.grant();
    const old = this.drop();
    this.hold(granted);
    return old;
  }

  /**
   * Stops renewing the current lease and forgets it, without revoking: records still attached to it live until it
   * expires. Returns the id given up.
   */
  drop(): string | undefined {
    const held = this.held;
    if (!held) return undefined;
    this.held = undefined;
    clearInterval(this.lateTimer);
    held.lease.removeAllListeners();
    held.lease.release();
    return held.id;
  }

  /**
   * Revokes the current lease (its records go at once); rejects when etcd cannot be told (they expire with it).
   * `options` bound the request (a deadline, an interceptor that abandons it).
   */
  async revoke(options?: CallOptions): Promise<void> {
    const held = this.held;
    if (!held) return;
    this.drop();
    await held.lease.revoke(options);
  }

  private async grant(): Promise<Held> {
    const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: true });
    try {
      return { lease, id: await lease.grant(), renewedAt: this.now() };
    } catch (error) {
      lease.removeAllListeners();
      lease.release();
      throw error;
    }
  }

  private hold(held: Held): void {
    this.held = held;
    const current = (): boolean => this.held === held;
    held.lease.on('lost', (error) => current() && (this.drop(), this.events.lost(error, held.id)));
    held.lease.on('keepaliveSucceeded', () => {
      if (!current()) return;
      held.renewedAt = this.now();
      this.events.renewed();
    });
    // etcd3 declares the argument as a response; it is the error.
    held.lease.on('keepaliveFailed', (error: unknown) => current() && this.events.failed(error));
    const checkEvery = Math.min(1000, this.lateAfterMs / 4);
    this.lateTimer = setInterval(
      () => current() && this.now() - held.renewedAt >= this.lateAfterMs && this.events.late(),
      checkEvery,
    );
    this.lateTimer.unref();
  }
}

/** The parts of an etcd3 client a Lease is built from (etcd3 1.1.2 builds leases only from a grant). */
interface LeaseParts {
  pool?: { exec?: (service: string, method: string, ...rest: unknown[]) => Promise<unknown> };
  nsApplicator?: unknown;
}

/**
 * An etcd3 Lease for lease `id`, granted before: etcd3 grants in the Lease's constructor, so here that grant is
 * answered with `id` instead of going to etcd; everything else (keep-alives, revoke) goes to etcd as for any lease.
 */
function grantedBefore(client: Etcd3, id: string, ttl: number): Lease {
  const { pool, nsApplicator } = client as unknown as LeaseParts;
  const exec = pool?.exec;
  if (pool === undefined || exec === undefined || nsApplicator === undefined)
    throw new Error('etcd3 changed: no pool.exec or nsApplicator to build a lease from');
  const granted = new Proxy(pool, {
    get(target, property) {
      if (property === 'exec')
        return (service: string, method: string, ...rest: unknown[]) =>
          service === 'Lease' && method === 'leaseGrant'
            ? Promise.resolve({ ID: id, TTL: String(ttl) })
            : exec.call(target, service, method, ...rest);
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  type Parts = ConstructorParameters<typeof Lease>;
  return new Lease(granted as Parts[0], nsApplicator as Parts[1], ttl, { autoKeepAlive: true });
}
