/**
 * The etcd v3 registry: this agent's records, attached to its one lease, kept alive while the agent lives.
 * Layout and lease rules: docs/records.md.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallOptions } from '@grpc/grpc-js';
import { EtcdLeaseInvalidError, type Etcd3, type IRequestOp } from 'etcd3';
import { backoffDelay } from '../shared/backoff.js';
import { ValidationError } from '../shared/errors.js';
import { MIN_LEASE_TTL_SECONDS } from '../shared/lease-ttl.js';
import { ConnectionState } from './connection-state.js';
import { messageOf } from '../shared/errors.js';
import { abandonedMessage, abandonOn, boundedCallOptions, isAbandoned, untilAbandoned } from './etcd-abandon.js';
import { distrustStream, etcdClient } from './etcd-client.js';
import { etcdClientOptions, type EtcdConnection } from './etcd-connection.js';
import { EtcdDiagnoser, type EtcdAccessError } from './etcd-diagnose.js';
import { plainEtcdReason } from './etcd-message.js';
import { LeaseHolder } from './etcd-lease.js';
import type { LeaseFile } from './lease-file.js';
import { takeOverLease } from './etcd-takeover.js';
import { applyChanges, chunk, markUnknown, MAX_TXN_OPS, planSync, type Change, type Written } from './diff.js';
import { RegistryUnavailableError } from './errors.js';
import type { Registry, RegistryListener, RegistryStatus } from './registry.js';
import { Serial } from './serial.js';

/** How an EtcdRegistry connects and how long its records outlive it. */
export interface EtcdRegistryOptions extends EtcdConnection {
  /** Lease TTL, seconds (default 30): how long records outlive an agent that died without withdrawing them. */
  ttlSeconds?: number;
  listener?: RegistryListener;
  /**
   * Deadline of each etcd request, ms (default: an eighth of the lease TTL, within 1-5 s). Bounds how long a sync
   * waits on a member that does not answer before the etcd3 client retries on another one (up to 3 attempts); a
   * lease whose renewals come late must be moved within half its TTL, through at most two members that do not answer.
   */
  dialTimeoutMs?: number;
  /**
   * Where the lease is kept between agents (the agent's state directory): the lease a stopped agent left its records
   * on is taken over while it is alive, and the lease in use is saved there.
   */
  leaseFile?: LeaseFile;
}

const RECOVERY_FIRST_DELAY_MS = 250;
const RECOVERY_MAX_DELAY_MS = 5000;
/** Per attempt of a withdrawal, ms: within a stop's 3 s, a member that does not answer costs 1 s, then another is tried. */
const WITHDRAW_ATTEMPT_MS = 1000;

function defaultRequestTimeout(ttlSeconds: number): number {
  return Math.min(5000, Math.max(1000, (ttlSeconds * 1000) / 8));
}

/** The Registry on etcd v3. One lease per instance, created with the first record and replaced when lost. */
export class EtcdRegistry implements Registry {
  private readonly client: Etcd3;
  private readonly hosts: string;
  private readonly ttl: number;
  private readonly connection: ConnectionState;
  private readonly diagnoser: EtcdDiagnoser;
  private desired: ReadonlyMap<string, string> = new Map();
  private readonly written: Written = new Map();
  private readonly lease: LeaseHolder;
  /** The lease lost last, until a new lease holds every record again (then reported through leaseReplaced). */
  private lostLeaseId: string | undefined;
  /** The lease given up because its renewals came late, until the records are under the new one (leaseMoved). */
  private movedFromLeaseId: string | undefined;
  private moving = false;
  /** Failed moves in a row, and when the next may start (backoff while etcd cannot grant a lease at all). */
  private moveFailures = 0;
  private nextMoveAt = 0;
  /** Syncs, recovery and withdrawal run one at a time: each sees the result of the one before. */
  private readonly serial = new Serial();
  private recovering = false;
  /** withdrawAll was called and no sync since: nothing is wanted, so no lease is moved and no record recovered. */
  private withdrawn = false;
  private readonly closing = new AbortController();
  /**
   * Ends every call of the syncs, lease moves and recovery under way: a withdrawal aborts it first (their outcome no
   * longer matters, and a call stuck on a member that does not answer would hold the queue), then starts a new one.
   */
  private work = new AbortController();
  private readonly timeoutMs: number;
  private readonly leaseFile: LeaseFile | undefined;
  /** The lease the lease file names; undefined before the takeover was settled (`takeOver`). */
  private savedLease: string | undefined;
  private tookOver = false;

  constructor(options: EtcdRegistryOptions) {
    this.leaseFile = options.leaseFile;
    this.ttl = options.ttlSeconds ?? 30;
    // The daemons' options refuse a shorter --lease-ttl with exit status 2; here it is a caller's bug.
    if (!Number.isInteger(this.ttl) || this.ttl < MIN_LEASE_TTL_SECONDS)
      throw new RangeError(`ttlSeconds must be a whole number, at least ${MIN_LEASE_TTL_SECONDS}, not ${this.ttl}`);
    if (options.hosts.length === 0)
      throw new ValidationError('hosts', options.hosts, 'must name at least one etcd endpoint');
    this.hosts = options.hosts.join(',');
    this.connection = new ConnectionState(options.listener ?? {}, 'disconnected');
    const timeout = options.dialTimeoutMs ?? defaultRequestTimeout(this.ttl);
    this.timeoutMs = timeout;
    this.diagnoser = new EtcdDiagnoser(options);
    this.client = etcdClient({
      ...etcdClientOptions(options),
      dialTimeout: timeout,
      // Requests get a deadline so an unreachable etcd fails a sync in bounded time; the keep-alive stream must not,
      // but it ends with the registry, whatever the member it is on.
      defaultCallOptions: (context) =>
        context.isStream
          ? { interceptors: [abandonOn(this.closing.signal)] }
          : { deadline: Date.now() + timeout, interceptors: [abandonOn(this.work.signal)] },
    });
    this.lease = new LeaseHolder(this.client, this.ttl, {
      lost: (error, id) => (this.markLost(id, error), this.startRecovery()),
      late: () => this.moveToNewLease(),
      renewed: () => this.connection.connected(),
      failed: (error) => this.connection.disconnected(this.diagnoser.diagnose(error) ?? error),
    });
  }

  async sync(records: ReadonlyMap<string, string>): Promise<void> {
    this.assertOpen();
    this.desired = new Map(records);
    this.withdrawn = false;
    await this.serial.run(() => this.reconcile());
  }

  async list(prefix: string): Promise<Map<string, string>> {
    this.assertOpen();
    try {
      const found = await this.client.getAll().prefix(prefix).strings();
      this.connection.connected();
      return new Map(Object.entries(found));
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /**
   * Deletes this agent's records and revokes its lease. The sync, move or recovery under way is abandoned first, so
   * the withdrawal waits on nothing but its own requests; `signal` abandons those (a stop's deadline): the records
   * then expire with the lease, whose keep-alives have stopped.
   */
  async withdrawAll(signal?: AbortSignal): Promise<void> {
    this.assertOpen();
    this.desired = new Map();
    this.withdrawn = true;
    this.work.abort(new Error('the records are being withdrawn'));
    const options = boundedCallOptions(signal, Math.min(this.timeoutMs, WITHDRAW_ATTEMPT_MS));
    const withdrawal = this.serial.run(async () => {
      if (!this.closing.signal.aborted) this.work = new AbortController();
      let failure: Error | undefined;
      await this.reconcile(options).catch((error: unknown) => {
        failure = error instanceof Error ? error : new Error(messageOf(error));
      });
      this.lostLeaseId = undefined;
      this.movedFromLeaseId = undefined;
      // revoke() stops the keep-alives first: if etcd cannot be told, the records still expire with the TTL.
      await this.lease.revoke(options).catch((error: unknown) => (failure ??= this.unavailable(error)));
      // Nothing is left to take over (what the revoke did not reach expires with the lease).
      this.leaseFile?.remove();
      this.savedLease = undefined;
      if (failure !== undefined) throw failure;
    });
    if (signal === undefined) return withdrawal;
    const late = `etcd (${this.hosts}) did not confirm the withdrawal in time: ${abandonedMessage(signal)}`;
    await untilAbandoned(withdrawal, signal, () => new RegistryUnavailableError(late));
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort(new Error('the registry is closed'));
    this.work.abort(new Error('the registry is closed'));
    this.lease.drop();
    this.client.close();
  }

  status(): RegistryStatus {
    const written = [...this.written.values()].filter((value) => value !== null).length;
    return { state: this.connection.state, leaseId: this.lease.id, written, lastError: this.connection.lastError };
  }

  /** Writes the difference between desired and written; an unchanged set sends nothing. */
  private async reconcile(options?: CallOptions): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.takeOver(options);
        await this.writeChanges(planSync(this.desired, this.written), options);
        return;
      } catch (error) {
        // etcd forgot the lease before the keep-alive loop noticed: replace it now rather than fail the sync.
        if (error instanceof EtcdLeaseInvalidError && attempt === 1) {
          this.forgetLease(error);
          continue;
        }
        throw this.unavailable(error);
      }
    }
  }

  /**
   * Once, before the first write: the records the agent before this one left on its lease become this agent's
   * (etcd-takeover.ts). Rejects (and is tried again with the next sync) while etcd cannot be asked.
   */
  private async takeOver(options: CallOptions | undefined): Promise<void> {
    if (this.tookOver || this.leaseFile === undefined) return;
    const taken = await takeOverLease(this.client, this.lease, this.leaseFile, options);
    this.tookOver = true;
    if (taken === undefined) return;
    for (const [key, value] of taken.records) this.written.set(key, value);
    if (taken.lease === undefined) return;
    const { lease } = taken;
    this.savedLease = lease;
    this.connection.connected();
    this.connection.notify((l) => l.leaseTakenOver?.(lease, taken.records.size));
  }

  private async writeChanges(changes: Change[], options: CallOptions | undefined): Promise<void> {
    if (changes.length > 0) {
      const leaseId = changes.some((c) => c.op === 'put') ? await this.lease.acquire() : undefined;
      for (const part of chunk(changes, MAX_TXN_OPS)) await this.commit(part, leaseId, options);
      this.connection.connected();
    }
    const after = this.lease.id;
    if (after === undefined) return;
    const [lost, moved] = [this.lostLeaseId, this.movedFromLeaseId];
    [this.lostLeaseId, this.movedFromLeaseId] = [undefined, undefined];
    if (lost !== undefined) this.connection.notify((l) => l.leaseReplaced?.(lost, after));
    else if (moved !== undefined) this.connection.notify((l) => l.leaseMoved?.(moved, after));
  }

  /** One transaction: all of `changes` or none. Until etcd confirms, their keys count as unknown. */
  private async commit(changes: Change[], leaseId: string | undefined, options?: CallOptions): Promise<void> {
    markUnknown(this.written, changes);
    const { header } = await this.client.kv.txn({ success: txnOps(changes, leaseId) }, options);
    // Puts made with a lease lost meanwhile stay unknown: they would expire with it, so recovery puts them again.
    const stale = leaseId !== undefined && this.lease.id !== leaseId;
    applyChanges(this.written, stale ? changes.filter((c) => c.op === 'delete') : changes);
    if (leaseId !== undefined && !stale && leaseId !== this.savedLease) this.saveLease(leaseId, header.cluster_id);
  }

  /** The lease records were put on, for the next agent to take over; a failure is reported, not fatal. */
  private saveLease(leaseId: string, cluster: string): void {
    if (this.leaseFile === undefined) return;
    try {
      this.leaseFile.save(leaseId, cluster, this.ttl);
      this.savedLease = leaseId;
    } catch (error) {
      this.connection.notify((l) => l.leaseFileFailed?.(this.leaseFile?.path ?? '', error));
    }
  }

  /** Forgets the lease etcd no longer knows; see markLost. */
  private forgetLease(error: unknown): void {
    const id = this.lease.drop();
    if (id !== undefined) this.markLost(id, error);
  }

  /** Lease `id` is gone: every record it held is now unknown, so the next reconcile puts all of them again. */
  private markLost(id: string, error: unknown): void {
    this.lostLeaseId ??= id;
    this.connection.outage.fail(error);
    for (const key of this.written.keys()) this.written.set(key, null);
  }

  /**
   * The lease's renewals come late (LeaseHolder): grant a new lease through any member that answers and put every
   * record under it while the old one still holds them, so no record is ever deleted on the way. Until a new lease
   * is granted the old one is kept alive; if the puts fail, recovery retries them under the new lease.
   */
  private moveToNewLease(): void {
    if (this.moving || this.stopping() || Date.now() < this.nextMoveAt) return;
    this.moving = true;
    const move = async (): Promise<void> => {
      if (this.lease.id === undefined) return;
      // The keep-alive stream's member is the likely culprit: try it last, for the new lease's stream too.
      distrustStream(this.client, 'Lease');
      const old = await this.lease.replace().catch((error: unknown) => Promise.reject(this.unavailable(error)));
      this.movedFromLeaseId ??= old;
      for (const key of this.written.keys()) this.written.set(key, null);
      await this.reconcile().catch((error: unknown) => {
        this.startRecovery();
        throw error;
      });
    };
    void this.serial
      .run(move)
      .then(
        () => (this.moveFailures = 0),
        () =>
          (this.nextMoveAt =
            Date.now() + backoffDelay(this.moveFailures++, RECOVERY_FIRST_DELAY_MS, RECOVERY_MAX_DELAY_MS)),
      )
      .finally(() => (this.moving = false));
  }

  private startRecovery(): void {
    if (this.recovering || this.stopping()) return;
    this.recovering = true;
    void this.recover().finally(() => (this.recovering = false));
  }

  /** Re-puts the desired set under a new lease, retrying with backoff until it succeeds or the registry stops. */
  private async recover(): Promise<void> {
    for (let attempt = 0; !this.stopping(); attempt++) {
      try {
        await this.serial.run(() => this.reconcile());
        return;
      } catch {
        const delay = backoffDelay(attempt, RECOVERY_FIRST_DELAY_MS, RECOVERY_MAX_DELAY_MS);
        await sleep(delay, undefined, { signal: this.closing.signal }).catch(() => undefined);
      }
    }
  }

  /** The error a failed request is reported as: a diagnosed TLS or auth problem, else an unreachable etcd. Both retryable. */
  private unavailable(error: unknown): RegistryUnavailableError | EtcdAccessError {
    if (error instanceof RegistryUnavailableError) return error;
    // Cancelled by a stop or a withdrawal: says nothing of the connection.
    if (isAbandoned(error)) return new RegistryUnavailableError(messageOf(error), { cause: error });
    const access = this.diagnoser.diagnose(error);
    if (access !== undefined) {
      this.connection.disconnected(access);
      return access;
    }
    this.connection.disconnected(error);
    return new RegistryUnavailableError(`etcd (${this.hosts}) cannot be reached: ${plainEtcdReason(error)}`, {
      cause: error,
      details: { hosts: this.hosts, etcd_error: messageOf(error) },
    });
  }

  /** Closed, or withdrawn: no lease is moved and no record recovered. */
  private stopping(): boolean {
    return this.closing.signal.aborted || this.withdrawn;
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new Error('EtcdRegistry used after close()');
  }
}

/** The operations of one transaction: puts with the lease, deletes of single keys. */
function txnOps(changes: readonly Change[], leaseId: string | undefined): IRequestOp[] {
  return changes.map((c): IRequestOp =>
    c.op === 'put'
      ? { request_put: { key: Buffer.from(c.key), value: Buffer.from(c.value), lease: leaseId } }
      : { request_delete_range: { key: Buffer.from(c.key) } },
  );
}
