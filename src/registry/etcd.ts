/**
 * The etcd v3 registry: this agent's records, attached to its one lease, kept alive while the agent lives.
 * Layout and lease rules: docs/records.md.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdLeaseInvalidError, type Etcd3, type IRequestOp, type Lease } from 'etcd3';
import { ValidationError } from '../shared/errors.js';
import { ConnectionState, messageOf } from './connection-state.js';
import { etcdClient } from './etcd-client.js';
import { etcdClientOptions, type EtcdConnection } from './etcd-connection.js';
import { EtcdDiagnoser, type EtcdAccessError } from './etcd-diagnose.js';
import { applyChanges, chunk, markUnknown, planSync, type Change, type Written } from './diff.js';
import { RegistryUnavailableError } from './errors.js';
import type { Registry, RegistryListener, RegistryStatus } from './registry.js';
import { Serial } from './serial.js';

/** How an EtcdRegistry connects and how long its records outlive it. */
export interface EtcdRegistryOptions extends EtcdConnection {
  /** Lease TTL, seconds (default 30): how long records outlive an agent that died without withdrawing them. */
  ttlSeconds?: number;
  listener?: RegistryListener;
  /**
   * Deadline of each etcd request, ms (default 5000). Bounds how long a sync waits on an etcd that does not answer;
   * a refused connection fails at once. The etcd3 client retries a request up to 3 times within one sync.
   */
  dialTimeoutMs?: number;
}

/** etcd's default --max-txn-ops: a larger transaction is refused, so bigger syncs are split. */
const MAX_TXN_OPS = 128;
const RECOVERY_FIRST_DELAY_MS = 250;
const RECOVERY_MAX_DELAY_MS = 5000;

/** The Registry on etcd v3. One lease per instance, created with the first record and replaced when lost. */
export class EtcdRegistry implements Registry {
  private readonly client: Etcd3;
  private readonly hosts: string;
  private readonly ttl: number;
  private readonly connection: ConnectionState;
  private readonly diagnoser: EtcdDiagnoser;
  private desired: ReadonlyMap<string, string> = new Map();
  private readonly written: Written = new Map();
  private lease: { lease: Lease; id: string } | undefined;
  /** The lease lost last, until a new lease holds every record again (then reported through leaseReplaced). */
  private lostLeaseId: string | undefined;
  /** Syncs, recovery and withdrawal run one at a time: each sees the result of the one before. */
  private readonly serial = new Serial();
  private recovering = false;
  private readonly closing = new AbortController();

  constructor(options: EtcdRegistryOptions) {
    this.ttl = options.ttlSeconds ?? 30;
    if (!Number.isInteger(this.ttl) || this.ttl < 1) throw new ValidationError('ttlSeconds', this.ttl, 'must be a whole number of seconds, at least 1');
    if (options.hosts.length === 0) throw new ValidationError('hosts', options.hosts, 'must name at least one etcd endpoint');
    this.hosts = options.hosts.join(',');
    this.connection = new ConnectionState(options.listener ?? {}, 'disconnected');
    const timeout = options.dialTimeoutMs ?? 5000;
    this.diagnoser = new EtcdDiagnoser(options);
    this.client = etcdClient({
      ...etcdClientOptions(options),
      dialTimeout: timeout,
      // Requests get a deadline so an unreachable etcd fails a sync in bounded time; the keep-alive stream must not.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
    });
  }

  async sync(records: ReadonlyMap<string, string>): Promise<void> {
    this.assertOpen();
    this.desired = new Map(records);
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

  async withdrawAll(): Promise<void> {
    this.assertOpen();
    this.desired = new Map();
    await this.serial.run(async () => {
      let failure: unknown;
      await this.reconcile().catch((error: unknown) => (failure = error));
      const current = this.lease;
      this.lease = undefined;
      this.lostLeaseId = undefined;
      if (current) {
        current.lease.removeAllListeners();
        // revoke() stops the keep-alives first: if etcd cannot be told, the records still expire with the TTL.
        await current.lease.revoke().catch((error: unknown) => (failure ??= this.unavailable(error)));
      }
      if (failure !== undefined) throw failure;
    });
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    const current = this.lease;
    this.lease = undefined;
    current?.lease.removeAllListeners();
    current?.lease.release();
    this.client.close();
  }

  status(): RegistryStatus {
    const written = [...this.written.values()].filter((value) => value !== null).length;
    return { state: this.connection.state, leaseId: this.lease?.id, written, lastError: this.connection.lastError };
  }

  /** Writes the difference between desired and written; an unchanged set sends nothing. */
  private async reconcile(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.writeChanges(planSync(this.desired, this.written));
        return;
      } catch (error) {
        // etcd forgot the lease before the keep-alive loop noticed: replace it now rather than fail the sync.
        if (error instanceof EtcdLeaseInvalidError && attempt === 1) {
          this.dropLease(error);
          continue;
        }
        throw this.unavailable(error);
      }
    }
  }

  private async writeChanges(changes: Change[]): Promise<void> {
    if (changes.length > 0) {
      const leaseId = changes.some((c) => c.op === 'put') ? await this.currentLease() : undefined;
      for (const part of chunk(changes, MAX_TXN_OPS)) await this.commit(part, leaseId);
      this.connection.connected();
    }
    if (this.lostLeaseId !== undefined && this.lease) {
      const [before, after] = [this.lostLeaseId, this.lease.id];
      this.lostLeaseId = undefined;
      this.connection.notify((l) => l.leaseReplaced?.(before, after));
    }
  }

  /** One transaction: all of `changes` or none. Until etcd confirms, their keys count as unknown. */
  private async commit(changes: Change[], leaseId: string | undefined): Promise<void> {
    const success = changes.map((c): IRequestOp =>
      c.op === 'put' ? { request_put: { key: Buffer.from(c.key), value: Buffer.from(c.value), lease: leaseId } } : { request_delete_range: { key: Buffer.from(c.key) } },
    );
    markUnknown(this.written, changes);
    await this.client.kv.txn({ success });
    // Puts made with a lease lost meanwhile stay unknown: they would expire with it, so recovery puts them again.
    const stale = leaseId !== undefined && this.lease?.id !== leaseId;
    applyChanges(this.written, stale ? changes.filter((c) => c.op === 'delete') : changes);
  }

  /** The lease records are put with, granted on first use. */
  private async currentLease(): Promise<string> {
    if (this.lease) return this.lease.id;
    const lease = this.client.lease(this.ttl, { autoKeepAlive: true });
    this.watchLease(lease);
    try {
      const id = await lease.grant();
      this.lease = { lease, id };
      return id;
    } catch (error) {
      lease.removeAllListeners();
      lease.release();
      throw error;
    }
  }

  private watchLease(lease: Lease): void {
    const current = (): boolean => this.lease?.lease === lease;
    lease.on('lost', (error) => {
      if (!current()) return;
      this.dropLease(error);
      this.startRecovery();
    });
    lease.on('keepaliveSucceeded', () => current() && this.connection.connected());
    // etcd3 declares the argument as a response; it is the error.
    lease.on('keepaliveFailed', (error: unknown) => current() && this.connection.disconnected(this.diagnoser.diagnose(error) ?? error));
  }

  /** Forgets a lost lease; every record it held is now unknown, so the next reconcile puts all of them again. */
  private dropLease(error: unknown): void {
    const current = this.lease;
    if (!current) return;
    this.lease = undefined;
    this.lostLeaseId ??= current.id;
    this.connection.lastError = messageOf(error);
    current.lease.removeAllListeners();
    current.lease.release();
    for (const key of this.written.keys()) this.written.set(key, null);
  }

  private startRecovery(): void {
    if (this.recovering || this.closing.signal.aborted) return;
    this.recovering = true;
    void this.recover().finally(() => (this.recovering = false));
  }

  /** Re-puts the desired set under a new lease, retrying with backoff until it succeeds or the registry closes. */
  private async recover(): Promise<void> {
    let delay = RECOVERY_FIRST_DELAY_MS;
    while (!this.closing.signal.aborted) {
      try {
        await this.serial.run(() => this.reconcile());
        return;
      } catch {
        await sleep(delay, undefined, { signal: this.closing.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, RECOVERY_MAX_DELAY_MS);
      }
    }
  }

  /** The error a failed request is reported as: a diagnosed TLS or auth problem, else an unreachable etcd. Both retryable. */
  private unavailable(error: unknown): RegistryUnavailableError | EtcdAccessError {
    if (error instanceof RegistryUnavailableError) return error;
    const access = this.diagnoser.diagnose(error);
    if (access !== undefined) {
      this.connection.disconnected(access);
      return access;
    }
    this.connection.disconnected(error);
    return new RegistryUnavailableError(`etcd (${this.hosts}) cannot be reached: ${messageOf(error)}`, { cause: error, details: { hosts: this.hosts } });
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new Error('EtcdRegistry used after close()');
  }
}
