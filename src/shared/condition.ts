import type { Logger } from 'pino';
import { messageOf } from './errors.js';

/** Where a condition stands, as /status shows it. */
export interface ConditionStatus {
  ok: boolean;
  /** Since when it fails, RFC 3339 UTC; absent while ok. */
  since?: string | undefined;
  /** The latest failure, one sentence; absent while ok. */
  reason?: string | undefined;
  /** Failures since it started failing. */
  failures?: number | undefined;
}

const STILL_EVERY_MS = 60_000;

/**
 * An expected condition a daemon lives through (etcd out of reach, nginx not running, Docker restarting), logged the
 * way an operator reads an outage: one warning when it starts, one line a minute while it lasts (with the count of
 * failures), one line when it ends. Never a stack trace: the failure's message is the reason (stacks are for bugs).
 * `ok` is false from the first failure until `recovered`, which readiness (/readyz) reports.
 */
export class Condition {
  private since: number | undefined;
  private reason: string | undefined;
  private failures = 0;
  private lastLogged = 0;

  constructor(
    private readonly log: Logger,
    /** What fails, as the log lines name it: `etcd`, `nginx`, `docker`. */
    private readonly name: string,
    /** What the daemon does meanwhile, for the first line: `answering from the last view`. */
    private readonly meanwhile: string,
    private readonly now: () => number = Date.now,
  ) {}

  get ok(): boolean {
    return this.since === undefined;
  }

  /** One failure; logs when the condition starts, then at most once a minute. */
  failed(error: unknown, fields: Record<string, unknown> = {}): void {
    const now = this.now();
    this.reason = reasonOf(error);
    this.failures++;
    const base = { condition: this.name, reason: this.reason, failures: this.failures, ...fields };
    if (this.since === undefined) {
      this.since = now;
      this.lastLogged = now;
      this.log.warn(base, `${this.name} unavailable: ${this.reason}; ${this.meanwhile}`);
    } else if (now - this.lastLogged >= STILL_EVERY_MS) {
      this.lastLogged = now;
      this.log.warn({ ...base, for_ms: now - this.since }, `${this.name} still unavailable: ${this.reason}`);
    }
  }

  /** Back to normal; logs one line when it was failing. */
  recovered(fields: Record<string, unknown> = {}): void {
    if (this.since === undefined) return;
    const forMs = this.now() - this.since;
    this.log.info(
      { condition: this.name, failures: this.failures, for_ms: forMs, ...fields },
      `${this.name} available again`,
    );
    this.since = undefined;
    this.reason = undefined;
    this.failures = 0;
  }

  status(): ConditionStatus {
    if (this.since === undefined) return { ok: true };
    return { ok: false, since: new Date(this.since).toISOString(), reason: this.reason, failures: this.failures };
  }

  /** Why the daemon is not ready because of this condition, or undefined while it is ok. */
  notReady(): string | undefined {
    return this.since === undefined ? undefined : `${this.name}: ${this.reason ?? 'unavailable'}`;
  }
}

/** A failure as one line: the message of an Error (its first line), else the value. */
function reasonOf(error: unknown): string {
  const text = messageOf(error);
  return text.split('\n')[0] ?? text;
}
