import type { Logger } from 'pino';
import { backoffDelay } from '../shared/backoff.js';
import { isRetryable } from './errors.js';
import type { Registry } from './registry.js';

/** What a writer reports after each sync (the agent turns it into metrics). Called synchronously. */
export interface WriterListener {
  synced?(records: ReadonlyMap<string, string>): void;
  failed?(error: unknown): void;
}

/**
 * Writes a process's desired records to the registry: one sync at a time, the newest desired set wins, and a failed
 * sync is retried with backoff until the registry is back. Used by the agent (its records) and the gateway (its
 * report); nothing else waits on it, so containers are never touched when the registry is down.
 */
export class RegistryWriter {
  private pending: ReadonlyMap<string, string> | undefined;
  private inFlight: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
    private readonly listener: WriterListener = {},
  ) {}

  /** Asks for `records` to be the process's records; returns at once. */
  write(records: ReadonlyMap<string, string>): void {
    this.pending = records;
    this.kick();
  }

  /** Retries at once (the registry reported it is reachable again) instead of waiting out the backoff. */
  retryNow(): void {
    if (this.retryTimer === undefined) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.kick();
  }

  /**
   * Writes nothing more: cancels a scheduled retry and drops what waits. A sync under way is not waited on: the
   * registry's withdrawAll (which abandons it) or close ends it, so stopping never waits on an unanswered registry.
   */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.pending = undefined;
  }

  private kick(): void {
    if (this.stopped || this.inFlight || this.retryTimer || !this.pending) return;
    const records = this.pending;
    this.pending = undefined;
    this.inFlight = this.sync(records).finally(() => {
      this.inFlight = undefined;
      this.kick();
    });
  }

  private async sync(records: ReadonlyMap<string, string>): Promise<void> {
    try {
      await this.registry.sync(records);
      this.listener.synced?.(records);
      if (this.failures > 0)
        this.log.info({ after_failures: this.failures }, 'registry reachable again; records written');
      this.failures = 0;
    } catch (error) {
      if (this.stopped) return; // abandoned by the stop, not a registry failure
      this.listener.failed?.(error);
      if (!isRetryable(error)) {
        // A record the registry refuses (or that rundock refuses to write) fails the same way every time.
        this.log.error({ err: error }, 'registry refused the records; not retrying until they change');
        return;
      }
      this.pending ??= records;
      const delay = backoffDelay(this.failures++, 500, 10_000);
      const level = this.failures === 1 ? 'warn' : 'debug';
      this.log[level]({ err: error, retry_in_ms: delay, failures: this.failures }, 'registry sync failed; retrying');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, delay);
    }
  }
}
