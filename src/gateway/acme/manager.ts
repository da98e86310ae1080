/**
 * Automatic HTTPS on one gateway: keeps a certificate in the store for every hostname the gateway serves that has
 * none brought by the operator, ordering it when it is missing and renewing it two thirds into its lifetime. Every
 * gateway runs one; the hostname's lock (a lease) makes one of them order while the others wait and install what it
 * stores. A failed order is retried with backoff, the previous certificate (or plain HTTP) is kept meanwhile, and the
 * failure shows in one log line, in status, readiness and `rundock_gateway_acme_order_failing`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { StoredCertificate } from '../../registry/acme-keys.js';
import { messageOf } from '../../shared/errors.js';
import type { GatewayMetrics } from '../metrics.js';
import { inspectCertificate } from '../x509.js';
import { orderCertificate, type AcmeSettings } from './order.js';
import { DEFAULT_RETRY, dueAt, failed, renewAt, type OrderState, type RetryPolicy } from './schedule.js';
import type { AcmeStore } from './store.js';

export interface AcmeManagerOptions {
  readonly store: AcmeStore;
  readonly settings: AcmeSettings;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  /** The usable stored certificates, or an order's outcome, changed: render again (and report). */
  readonly onChange: () => void;
  readonly retry?: RetryPolicy | undefined;
  /** How soon to look again while another gateway holds a hostname's lock, ms (default 2000). */
  readonly lockRetryMs?: number | undefined;
}

/** One hostname's ACME state as /status shows it (never a key). */
export interface AcmeHostStatus {
  readonly hostname: string;
  /** `valid` (a certificate, not due), `ordering`, `waiting` (another gateway orders it), `due`, `failed`. */
  readonly state: 'valid' | 'ordering' | 'waiting' | 'due' | 'failed';
  readonly serial?: string | undefined;
  readonly not_after?: string | undefined;
  readonly renew_at?: string | undefined;
  readonly failures?: number | undefined;
  readonly error?: string | undefined;
  readonly next_attempt_at?: string | undefined;
}

/** Orders and renews; see the module comment. */
export class AcmeManager {
  private wanted: readonly string[] = [];
  /** Usable stored certificates by hostname (checked: parses, key matches, not expired). */
  private usable = new Map<string, StoredCertificate>();
  /**
   * What this gateway's own orders stored that the store's watch has not brought back yet: held all the same, or the
   * schedule that follows an order, seeing no certificate while the watch is slower than the lock's release, orders
   * the hostname again.
   */
  private readonly issued = new Map<string, StoredCertificate>();
  private readonly states = new Map<string, OrderState & { waiting?: boolean }>();
  private ordering: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly unwatch: () => void;

  constructor(private readonly o: AcmeManagerOptions) {
    this.unwatch = o.store.watchCertificates((stored) => this.onStored(stored));
  }

  /** The hostnames this gateway wants certificates for (exact names, none brought); orders what is due. */
  want(hostnames: readonly string[]): void {
    const sorted = [...new Set(hostnames)].sort();
    if (sorted.join() === this.wanted.join()) return;
    this.wanted = sorted;
    for (const hostname of this.states.keys()) if (!sorted.includes(hostname)) this.states.delete(hostname);
    for (const hostname of this.issued.keys()) if (!sorted.includes(hostname)) this.issued.delete(hostname);
    this.schedule();
  }

  /** The stored certificate to serve `hostname` with, when there is a usable one. */
  certificate(hostname: string): StoredCertificate | undefined {
    return this.usable.get(hostname);
  }

  status(): AcmeHostStatus[] {
    const now = Date.now();
    return this.wanted.map((hostname) => {
      const certificate = this.usable.get(hostname);
      const state = this.states.get(hostname);
      return {
        hostname,
        state: this.stateOf(hostname, certificate, state, now),
        ...(certificate && {
          serial: certificate.serial,
          not_after: certificate.not_after,
          renew_at: new Date(renewAt(certificate)).toISOString(),
        }),
        ...(state?.failures && { failures: state.failures, error: state.lastError }),
        ...(state?.nextAttemptAt !== undefined && { next_attempt_at: new Date(state.nextAttemptAt).toISOString() }),
      };
    });
  }

  /** One reason per hostname whose last order failed (GET /readyz). */
  notReady(): string[] {
    return this.status()
      .filter((s) => s.state === 'failed')
      .map((s) => `acme: ${s.hostname}: ${s.error ?? 'order failed'}; next attempt at ${s.next_attempt_at ?? '?'}`);
  }

  /**
   * Stops ordering. An order under way is not waited for (a stop must not wait on a CA): it ends with the process,
   * and its lock with its lease, after which another gateway orders.
   */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unwatch();
  }

  private stateOf(
    hostname: string,
    certificate: StoredCertificate | undefined,
    state: (OrderState & { waiting?: boolean }) | undefined,
    now: number,
  ): AcmeHostStatus['state'] {
    if (this.ordering === hostname) return 'ordering';
    if (state?.waiting === true) return 'waiting';
    if ((state?.failures ?? 0) > 0) return 'failed';
    return dueAt(certificate, undefined, now) <= now ? 'due' : 'valid';
  }

  private onStored(stored: ReadonlyMap<string, StoredCertificate>): void {
    const usable = new Map<string, StoredCertificate>();
    for (const [hostname, certificate] of stored) {
      try {
        inspectCertificate(certificate.certificate, certificate.key);
        usable.set(hostname, certificate);
      } catch (error) {
        if (this.usable.get(hostname)?.serial !== certificate.serial)
          this.o.log.warn(
            { hostname, serial: certificate.serial, reason: messageOf(error) },
            'stored certificate unusable',
          );
      }
    }
    const changed = [...new Set([...usable.keys(), ...this.usable.keys()])].some(
      (h) => usable.get(h)?.serial !== this.usable.get(h)?.serial,
    );
    this.usable = usable;
    for (const [hostname, own] of this.issued) {
      const seen = usable.get(hostname);
      if (seen !== undefined && Date.parse(seen.not_after) >= Date.parse(own.not_after)) this.issued.delete(hostname);
    }
    if (!changed) return;
    for (const [hostname, state] of this.states) if (state.waiting === true) this.states.delete(hostname);
    this.o.onChange();
    this.schedule();
  }

  /** The certificate `hostname` has for scheduling: one this gateway just stored (newer), or the usable one. */
  private held(hostname: string): StoredCertificate | undefined {
    return this.issued.get(hostname) ?? this.usable.get(hostname);
  }

  /** Arms one timer for the earliest due hostname (while no order runs). */
  private schedule(): void {
    clearTimeout(this.timer);
    if (this.stopped || this.running !== undefined || this.wanted.length === 0) return;
    const now = Date.now();
    const next = Math.min(...this.wanted.map((h) => dueAt(this.held(h), this.states.get(h), now)));
    // setTimeout holds at most 2^31-1 ms (24.8 days); a later renewal is looked at again then.
    this.timer = setTimeout(() => this.run(), Math.min(Math.max(0, next - now), 2 ** 31 - 1));
    this.timer.unref();
  }

  private run(): void {
    this.running = this.orderDue().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  /** Every hostname due now, one at a time. */
  private async orderDue(): Promise<void> {
    for (const hostname of this.wanted) {
      if (this.stopped) return;
      const now = Date.now();
      if (dueAt(this.held(hostname), this.states.get(hostname), now) <= now) await this.attempt(hostname);
    }
  }

  private async attempt(hostname: string): Promise<void> {
    const lock = await this.o.store.lock(hostname).catch((error: unknown) => {
      this.fail(hostname, `cannot take the order lock: ${messageOf(error)}`);
      return null;
    });
    if (lock === null) return;
    if (lock === undefined) {
      const nextAttemptAt = Date.now() + (this.o.lockRetryMs ?? 2000);
      this.states.set(hostname, { ...this.states.get(hostname), failures: 0, waiting: true, nextAttemptAt });
      return;
    }
    this.ordering = hostname;
    try {
      // Another gateway may have stored one while this one waited for the lock.
      if (dueAt(this.held(hostname), undefined, Date.now()) > Date.now()) return;
      const started = Date.now();
      const certificate = await orderCertificate(this.o.store, lock, this.o.settings, (t) => this.published(t));
      this.states.delete(hostname);
      this.issued.set(hostname, certificate);
      this.o.metrics.acmeOrders.inc({ outcome: 'ok' });
      this.o.metrics.acmeFailing.set({ hostname }, 0);
      const { serial, not_after } = certificate;
      this.o.log.info({ hostname, serial, not_after, ms: Date.now() - started }, 'certificate issued');
    } catch (error) {
      this.fail(hostname, messageOf(error));
    } finally {
      this.ordering = undefined;
      await lock.release();
    }
  }

  private fail(hostname: string, error: string): void {
    const state = failed(this.states.get(hostname), error, Date.now(), this.o.retry ?? DEFAULT_RETRY);
    this.states.set(hostname, state);
    this.o.metrics.acmeOrders.inc({ outcome: 'failed' });
    this.o.metrics.acmeFailing.set({ hostname }, 1);
    const keeps = this.usable.has(hostname) ? 'the current certificate stays' : 'served over plain HTTP meanwhile';
    this.o.log.warn(
      { hostname, failures: state.failures, retry_at: new Date(state.nextAttemptAt ?? 0).toISOString(), error },
      `certificate order for ${hostname} failed; ${keeps}`,
    );
    this.o.onChange();
  }

  /** Resolves once this gateway's view of the store has the challenge (the others' watches are as quick), at most 5 s. */
  private async published(token: string): Promise<void> {
    for (let waited = 0; waited < 5000 && this.o.store.keyAuthorization(token) === undefined; waited += 20)
      await sleep(20);
  }
}
