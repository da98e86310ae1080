import type { Logger } from 'pino';
import type { Registry } from '../registry/registry.js';
import { backoffDelay } from '../shared/backoff.js';
import type { AgentMetrics } from './metrics.js';

/**
 * Writes the agent's desired records to the registry: one sync at a time, the newest desired set wins, and a failed
 * sync is retried with backoff until the registry is back. Containers are never touched when the registry is down.
 */
export class RegistryWriter {
  private pending: ReadonlyMap<string, string> | undefined;
  private inFlight: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly registry: Registry,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
  ) {}

  /** Asks for `records` to be the agent's records; returns at once. */
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

  /** Resolves once no sync is running; cancels a scheduled retry. */
  async stop(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.pending = undefined;
    await this.inFlight;
  }

  private kick(): void {
    if (this.inFlight || this.retryTimer || !this.pending) return;
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
      this.metrics.registryConnected.set(1);
      this.metrics.registrySyncs.inc({ outcome: 'ok' });
      this.metrics.recordsAnnounced.set([...records.keys()].filter((k) => k.startsWith('/skydns/')).length);
      if (this.failures > 0)
        this.log.info({ after_failures: this.failures }, 'registry reachable again; records written');
      this.failures = 0;
    } catch (error) {
      this.metrics.registryConnected.set(0);
      this.metrics.registrySyncs.inc({ outcome: 'error' });
      this.metrics.registryErrors.inc();
      this.pending ??= records;
      const delay = backoffDelay(this.failures++, 500, 10_000);
      const level = this.failures === 1 ? 'warn' : 'debug';
      this.log[level](
        { err: error, retry_in_ms: delay, failures: this.failures },
        'registry sync failed; containers untouched, retrying',
      );
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, delay);
    }
  }
}
