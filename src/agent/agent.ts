import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ContainerState, ContainerEngine } from '../runtime/engine.js';
import type { ContainerEvent } from '../runtime/events.js';
import type { Registry } from '../registry/registry.js';
import { backoffDelay } from '../shared/backoff.js';
import { nextName } from '../plan/plan.js';
import { decodeLabels, LABEL } from '../service-spec/labels.js';
import { decideAnnouncements, type AnnounceSettings, type InstanceFacts } from './announce.js';
import { noteRun, type RunHistory } from './crash-loop.js';
import type { AgentMetrics } from './metrics.js';
import { Probes } from './probes.js';
import { UnhealthyRestarter } from './restarter.js';
import { RegistryWriter } from '../registry/writer.js';
import { SKYDNS_PREFIX } from '../registry/path.js';
import type { ServiceStatus } from '../registry/host-record.js';
import { inheritance } from './takeover.js';
import { Condition, type ConditionStatus } from '../shared/condition.js';

export interface AgentOptions {
  docker: ContainerEngine;
  registry: Registry;
  settings: AnnounceSettings;
  metrics: AgentMetrics;
  log: Logger;
  /** Full resync against the engine this often, so a missed event never leaves a stale or missing record. */
  resyncMs?: number;
  /**
   * Keys other parts of this process publish through the agent (the gateway's report): what the agent before this
   * one left under them stays until they publish anew.
   */
  keeps?: readonly string[];
  /** The first wait before reconnecting to a dropped event stream, doubling (jittered) up to 30 s; 500 ms by default. */
  reconnectMs?: number;
}

/**
 * The per-host agent: follows Docker's events for rundock's containers and keeps the registry holding exactly the
 * records of the running, healthy, stable ones; restarts the containers of services with restart_unhealthy that
 * keep failing their checks. It keeps no state of its own beyond what Docker and the registry hold, but for those
 * restarts' count and backoff.
 */
export class Agent {
  private readonly facts = new Map<string, InstanceFacts>();
  /** Each container's restarts as this agent saw them: what the crash-loop rule reads. */
  private readonly runs = new Map<string, RunHistory>();
  private readonly probes: Probes;
  private readonly restarter: UnhealthyRestarter;
  private readonly writer: RegistryWriter;
  /** Docker out of reach (restarting, its socket gone): logged as one outage; readiness reads it. */
  private readonly docker: Condition;
  private readonly abort = new AbortController();
  private resyncTimer: NodeJS.Timeout | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;
  private lastStatuses: ServiceStatus[] = [];
  /** Records other parts of this process publish through the agent (the gateway's report), by key. */
  private readonly published = new Map<string, string>();
  private eventLoop: Promise<void> | undefined;
  private refreshTickets = 0;
  private readonly latestRefresh = new Map<string, number>();

  constructor(private readonly o: AgentOptions) {
    this.docker = new Condition(o.log, 'docker', 'containers are left as they are, records as they were');
    this.writer = new RegistryWriter(o.registry, o.log, {
      synced: (records) => {
        o.metrics.registryConnected.set(1);
        o.metrics.registrySyncs.inc({ outcome: 'ok' });
        o.metrics.recordsAnnounced.set([...records.keys()].filter((k) => k.startsWith(SKYDNS_PREFIX)).length);
      },
      failed: () => {
        o.metrics.registryConnected.set(0);
        o.metrics.registrySyncs.inc({ outcome: 'error' });
        o.metrics.registryErrors.inc();
      },
    });
    this.probes = new Probes(o.settings, this.facts, (_id, ok, changed) => {
      o.metrics.probeResults.inc({ result: ok ? 'success' : 'failure' });
      if (changed) this.reconcile();
    });
    this.restarter = new UnhealthyRestarter({
      restart: (id) => o.docker.restart(id, this.abort.signal),
      refresh: (id) => void this.refresh(id),
      reconcile: () => this.reconcile(),
      log: o.log,
      metrics: o.metrics,
    });
  }

  /**
   * Takes over what the agent before this one left (its records stay where they are), resyncs once, then follows
   * events until stopFollowing(). Resolves once the first resync is done.
   */
  async start(): Promise<void> {
    await this.inherit();
    const ready = new Promise<void>((resolve) => {
      this.eventLoop = this.followEvents(() => (this.probes.inherit(new Set()), resolve()));
    });
    await ready;
    this.resyncTimer = setInterval(() => void this.resync('periodic'), this.o.resyncMs ?? 60_000);
  }

  /**
   * Stops following Docker, probing and restarting: every request to the engine under way is aborted, so this
   * never waits on a hung engine; nothing more is written to the registry (the caller then withdraws what the
   * agent wrote, or not, and closes the registry).
   */
  async stopFollowing(): Promise<void> {
    this.abort.abort(new Error('the agent is stopping'));
    clearInterval(this.resyncTimer);
    clearTimeout(this.recheckTimer);
    this.probes.stopAll();
    this.restarter.stop();
    this.writer.stop();
    await this.eventLoop;
  }

  /** The whole stop for callers without steps (tests): stopFollowing, withdraw when asked, close the registry. */
  async stop(withdraw: boolean, signal?: AbortSignal): Promise<void> {
    try {
      await this.stopFollowing();
      if (withdraw) await this.o.registry.withdrawAll(signal);
    } finally {
      await this.o.registry.close();
    }
  }

  /** Takes over what the agent before this one left: its probe verdicts, and the values of `keeps` (takeover.ts). */
  private async inherit(): Promise<void> {
    const { healthy, kept } = await inheritance(this.o.registry, this.o.settings.host, this.o.keeps ?? []);
    this.probes.inherit(healthy);
    for (const [key, value] of kept) if (!this.published.has(key)) this.published.set(key, value);
  }

  /** Writes `value` at `key` with the agent's own records, on its lease (the embedded gateway's report). */
  publish(key: string, value: string): void {
    this.published.set(key, value);
    if (this.eventLoop !== undefined) this.reconcile(); // before start, the first resync writes it
  }

  /** Whether `key` is among the records published through the agent. */
  isPublished(key: string): boolean {
    return this.published.has(key);
  }

  /** Stops writing `key` (a record published before): it is deleted with the next sync. */
  unpublish(key: string): void {
    if (this.published.delete(key) && this.eventLoop !== undefined) this.reconcile();
  }

  /** Called when the registry is reachable again: pending records are written now, not after the backoff. */
  registryReconnected(): void {
    this.writer.retryNow();
  }

  /** What `rundock ps` and GET /status show; `enable` and `apply` publish on `addresses` (docs/cli.md). */
  status(): {
    host: string;
    domain: string;
    addresses: AnnounceSettings['addresses'];
    registry: ReturnType<Registry['status']>;
    docker: ConditionStatus;
    services: ServiceStatus[];
  } {
    return {
      host: this.o.settings.host,
      domain: this.o.settings.domain,
      addresses: this.o.settings.addresses,
      registry: this.o.registry.status(),
      docker: this.docker.status(),
      services: this.lastStatuses,
    };
  }

  /** Why the agent cannot announce what runs now (GET /readyz): Docker or the registry out of reach. */
  notReady(): string[] {
    return [this.docker.notReady(), this.writer.condition.notReady()].filter((r) => r !== undefined);
  }

  /** Opens the event stream, resyncs, handles events; on a dropped stream reconnects with backoff and resyncs again. */
  private async followEvents(onFirstResync: () => void): Promise<void> {
    for (let attempt = 0; !this.abort.signal.aborted; attempt++) {
      try {
        const events = this.o.docker.events(LABEL.service, this.abort.signal, async () => {
          await this.resync(attempt === 0 ? 'start' : 'reconnect');
          onFirstResync();
          attempt = 0;
        });
        for await (const event of events) this.onEvent(event);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.docker.failed(error, { stream: 'events' });
      }
      if (this.abort.signal.aborted) return;
      this.o.metrics.eventStreamReconnects.inc();
      await sleep(backoffDelay(attempt, this.o.reconnectMs), this.abort.signal);
    }
  }

  /** Handles an event without waiting: inspects run concurrently, so a slow one never delays the next death. */
  private onEvent(event: ContainerEvent): void {
    const action = event.action.split(':')[0] ?? event.action;
    this.o.metrics.eventsHandled.inc({ action });
    this.o.log.debug({ container: event.id.slice(0, 12), action: event.action }, 'docker event');
    const known = this.facts.get(event.id);
    if ((action === 'die' || action === 'stop') && known?.running) {
      // Withdraw on the event itself: the engine answers inspect only ~100 ms later, after its network teardown.
      this.facts.set(event.id, { ...known, running: false });
      this.reconcile();
    }
    if (action === 'destroy') {
      this.forget(event.id);
      this.reconcile();
    } else {
      void this.refresh(event.id);
    }
  }

  /** Re-reads every rundock container from the engine, replacing what the agent knew. */
  async resync(reason: string): Promise<void> {
    this.o.metrics.resyncs.inc({ reason });
    const signal = this.abort.signal;
    try {
      const containers = await this.o.docker.list(LABEL.service, signal);
      const states = await Promise.all(containers.map((c) => this.o.docker.inspectIfExists(c.id, signal)));
      const seen = new Set<string>();
      for (const state of states) if (state && this.remember(state)) seen.add(state.id);
      for (const id of [...this.facts.keys()]) if (!seen.has(id)) this.forget(id);
      this.docker.recovered({ containers: containers.length });
    } catch (error) {
      if (signal.aborted) return;
      this.docker.failed(error, { resync: reason });
    }
    this.reconcile();
  }

  /** Re-inspects one container; of concurrent inspects of the same container only the newest one applies. */
  private async refresh(id: string): Promise<void> {
    const ticket = ++this.refreshTickets;
    this.latestRefresh.set(id, ticket);
    try {
      const state = await this.o.docker.inspectIfExists(id, this.abort.signal);
      if (this.latestRefresh.get(id) !== ticket) return;
      if (!state || !this.remember(state)) this.forget(id);
      this.reconcile();
    } catch (error) {
      if (this.abort.signal.aborted) return;
      this.o.log.warn({ err: error, container: id.slice(0, 12) }, 'inspect failed; the next resync retries');
    }
  }

  /**
   * Records a container's facts; false when it is not a service container. Of a redeploy's temporary containers,
   * the new one (`<service>_rundock_next`) is announced beside the current one; the old one (`_rundock_old`) is not:
   * renaming the current container is how a redeploy withdraws it.
   */
  private remember(state: ContainerState): boolean {
    const labels = decodeLabels(state.labels);
    const successor = labels !== undefined && state.name === nextName(labels.service);
    if (!labels || (labels.service !== state.name && !successor)) return false;
    const facts: InstanceFacts = {
      id: state.id,
      labels,
      running: state.running && !state.restarting,
      restarting: state.restarting,
      restartCount: state.restartCount,
      startedAt: Date.parse(state.startedAt),
      finishedAt: Date.parse(state.finishedAt),
      dockerHealth: state.health,
      failingStreak: state.failingStreak,
      healthIntervalMs: state.healthIntervalMs,
      containerIp: state.ip,
      published: state.published,
      successor,
    };
    this.facts.set(state.id, facts);
    this.probes.update(facts);
    return true;
  }

  private forget(id: string): void {
    this.facts.delete(id);
    this.runs.delete(id);
    this.latestRefresh.delete(id);
    this.probes.stop(id);
    this.restarter.forget(id);
  }

  /** Keeps the container's restart history (the agent's restart counted by the restarter, which ran first). */
  private noteRuns(f: InstanceFacts, now: number): void {
    if (f.running) {
      const { settings } = this.o;
      const seen = { ...f, agentRestarts: f.unhealthyRestarts?.count ?? 0 };
      this.runs.set(
        f.id,
        noteRun(this.runs.get(f.id), seen, { ...settings.crashLoop, stableMs: settings.stableMs }, now),
      );
    }
    f.runs = this.runs.get(f.id);
  }

  /** Decides the records from the facts and hands them to the writer; re-decides when a hold ends. */
  private reconcile(): void {
    if (this.abort.signal.aborted) return;
    const now = Date.now();
    this.restarter.consider(this.facts.values(), now);
    for (const f of this.facts.values()) this.noteRuns(f, now);
    const decided = decideAnnouncements(this.facts.values(), this.o.settings, now);
    this.lastStatuses = decided.statuses;
    this.o.metrics.servicesSeen.set({ announced: 'true' }, decided.statuses.filter((s) => s.announced).length);
    this.o.metrics.servicesSeen.set({ announced: 'false' }, decided.statuses.filter((s) => !s.announced).length);
    this.writer.write(new Map([...decided.records, ...this.published]));
    clearTimeout(this.recheckTimer);
    if (decided.recheckAt !== undefined)
      this.recheckTimer = setTimeout(() => this.reconcile(), decided.recheckAt - now + 10);
  }
}

/** Waits `ms`, less when `signal` aborts; never rejects, and takes its listener off `signal` when the time is up. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
