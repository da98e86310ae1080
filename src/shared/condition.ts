import type { Logger } from 'pino';
import { Outage, type OutageStatus } from './outage.js';

/** Where a condition stands, as /status shows it. */
export type ConditionStatus = OutageStatus;

const STILL_EVERY_MS = 60_000;

/**
 * An expected condition a daemon lives through (etcd out of reach, nginx not running, Docker restarting), logged the
 * way an operator reads an outage (outage.ts keeps its since, reason and failures): one warning when it starts, one
 * line a minute while it lasts (with the count of failures), one line when it ends. Never a stack trace: the
 * failure's message is the reason (stacks are for bugs). `ok` is false from the first failure until `recovered`,
 * which readiness (/readyz) reports.
 */
export class Condition {
  private readonly outage: Outage;
  private lastLogged = 0;

  constructor(
    private readonly log: Logger,
    /** What fails, as the log lines name it: `etcd`, `nginx`, `docker`. */
    private readonly name: string,
    /** What the daemon does meanwhile, for the first line: `answering from the last view`. */
    private readonly meanwhile: string,
    private readonly now: () => number = Date.now,
  ) {
    this.outage = new Outage(now);
  }

  get ok(): boolean {
    return this.outage.ok;
  }

  /** One failure; logs when the condition starts, then at most once a minute. */
  failed(error: unknown, fields: Record<string, unknown> = {}): void {
    const started = this.outage.fail(error);
    const { reason, failures } = this.outage;
    const base = { condition: this.name, reason, failures, ...fields };
    const now = this.now();
    if (started) {
      this.lastLogged = now;
      this.log.warn(base, `${this.name} unavailable: ${reason}; ${this.meanwhile}`);
    } else if (now - this.lastLogged >= STILL_EVERY_MS) {
      this.lastLogged = now;
      const forMs = now - (this.outage.since ?? now);
      this.log.warn({ ...base, for_ms: forMs }, `${this.name} still unavailable: ${reason}`);
    }
  }

  /** Back to normal; logs one line when it was failing. */
  recovered(fields: Record<string, unknown> = {}): void {
    const failures = this.outage.failures;
    const forMs = this.outage.end();
    if (forMs === undefined) return;
    this.log.info({ condition: this.name, failures, for_ms: forMs, ...fields }, `${this.name} available again`);
  }

  status(): ConditionStatus {
    return this.outage.status();
  }

  /** Why the daemon is not ready because of this condition, or undefined while it is ok. */
  notReady(): string | undefined {
    return this.outage.ok ? undefined : `${this.name}: ${this.outage.reason ?? 'unavailable'}`;
  }
}
