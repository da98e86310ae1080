import { messageOf } from './errors.js';

/** Where an outage stands, as /status shows it. */
export interface OutageStatus {
  ok: boolean;
  /** Since when it fails, RFC 3339 UTC; absent while ok. */
  since?: string | undefined;
  /** The latest failure, one sentence; absent while ok. */
  reason?: string | undefined;
  /** Failures since it started failing. */
  failures?: number | undefined;
}

/**
 * The one bookkeeping of an outage (etcd out of reach, nginx not running, Docker restarting): since when it lasts,
 * its latest reason, how many failures. Condition logs it the way an operator reads it; the registry's
 * ConnectionState tells its listener. It neither logs nor notifies: what each owner does at a start or an end is
 * its own.
 */
export class Outage {
  private started: number | undefined;
  private latest: string | undefined;
  private count = 0;

  constructor(private readonly now: () => number = Date.now) {}

  get ok(): boolean {
    return this.started === undefined;
  }

  /** The latest failure's reason, one line; undefined while ok. */
  get reason(): string | undefined {
    return this.latest;
  }

  /** Failures since it started; 0 while ok. */
  get failures(): number {
    return this.count;
  }

  /** When it started (ms since the epoch, by `now`); undefined while ok. */
  get since(): number | undefined {
    return this.started;
  }

  /** One failure; true when it starts the outage. */
  fail(error: unknown): boolean {
    this.latest = reasonOf(error);
    this.count++;
    if (this.started !== undefined) return false;
    this.started = this.now();
    return true;
  }

  /** Ends it: how long it lasted (ms), or undefined when there was none. */
  end(): number | undefined {
    if (this.started === undefined) return undefined;
    const lasted = this.now() - this.started;
    this.started = undefined;
    this.latest = undefined;
    this.count = 0;
    return lasted;
  }

  status(): OutageStatus {
    if (this.started === undefined) return { ok: true };
    return { ok: false, since: new Date(this.started).toISOString(), reason: this.latest, failures: this.count };
  }
}

/** A failure as one line: the message of an Error (its first line), else the value. */
function reasonOf(error: unknown): string {
  const text = messageOf(error);
  return text.split('\n')[0] ?? text;
}
