/**
 * `rundock dns --workers N`: N processes answer on one address (node:cluster). Node spends most of a query's cost on
 * its per-datagram work, so one process tops out near one core; N processes use N.
 *
 * The primary forks the workers and supervises them; it answers no query. Each worker runs the whole service (its own
 * etcd feed, ZoneIndex and server, see service.ts) on sockets the cluster shares (DnsServerOptions.shared): one UDP socket
 * the kernel hands each datagram from to one of the workers reading it, and one TCP listener whose connections the
 * primary deals round-robin. Each worker holds its own copy of the zone: memory grows with N.
 *
 * The primary restarts a worker that dies, after a backoff (0.5 s doubling to 30 s, reset once a worker has run 60
 * s); a slot whose workers die young 10 times in a row stops the whole server (exit 1) for its supervisor to see.
 * SIGTERM/SIGINT are forwarded to the workers; the primary returns 0 once they have exited (SIGKILL after 10 s).
 * It serves --metrics-listen: /metrics sums the workers' counters and histograms (prom-client's aggregation),
 * keeps their gauges apart under a `worker` label, and adds its own; /status lists every worker.
 */
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { startStatusServer } from '../agent/status-server.js';
import type { FeedState } from '../registry/feed-etcd.js';
import { backoffDelay } from '../shared/backoff.js';
import { ENV_SETTINGS, ENV_SLOT, isMessage, type DnsWorkerSettings, type DnsWorkerStatus, type FromWorker } from './worker.js';
import { ClusterRegistry, WorkerMetrics } from './workers-metrics.js';

export interface DnsClusterOptions {
  settings: DnsWorkerSettings;
  workers: number;
  statusListen: { host: string; port: number };
  log: Logger;
  /**
   * What a worker runs. Default: this process's script and arguments again (`rundock dns ...`), which see
   * isDnsWorker() and take the worker's path. Tests give a script that calls runDnsWorker.
   */
  fork?: { exec: string; execArgv?: string[] };
}

/** /status of the primary. */
export interface DnsClusterStatus {
  domain: string;
  listen: string | null;
  /** The first serving worker's view, as a single process reports it. */
  records: number;
  feed: FeedState;
  primary: { pid: number; rss_bytes: number };
  workers: {
    worker: number;
    pid: number | null;
    state: Slot['state'];
    records: number | null;
    feed: FeedState | null;
    rss_bytes: number | null;
    reported_ms_ago: number | null;
    restarts: number;
  }[];
}

const RESTART_BASE_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A worker that ran this long before dying counts as a fresh failure, not one more of a streak. */
const STABLE_AFTER_MS = 60_000;
/** Consecutive young deaths of one slot after which the primary gives up (exit 1). */
const MAX_FAILURES = 10;
const SHUTDOWN_TIMEOUT_MS = 10_000;

interface Slot {
  /** 1..N: the `worker` label and log field; kept across restarts. */
  index: number;
  worker?: Worker;
  state: 'starting' | 'ready' | 'waiting' | 'stopped';
  startedAt: number;
  /** Young deaths in a row. */
  failures: number;
  restarts: number;
  restartTimer?: NodeJS.Timeout;
  status?: DnsWorkerStatus;
  reportedAt?: number;
  failure?: string;
}

/** A started cluster, as startDnsCluster returns it. */
export interface DnsCluster {
  /** Where /metrics and /status are served. */
  statusAddress: AddressInfo;
  /** The UDP (and TCP) address the workers serve, as the first of them reports it. */
  listen: string | undefined;
  /** Resolves with 'fatal' if a slot keeps failing (the server should then stop and exit 1). */
  fatal: Promise<'fatal'>;
  status(): DnsClusterStatus;
  /** SIGTERM to every worker, waits for them (SIGKILL after 10 s), closes /metrics and /status. */
  stop(): Promise<void>;
}

/**
 * Starts the status server, forks the workers and resolves once every one serves. If a worker dies before serving
 * (a bind or configuration failure, which the next one would meet too), stops the others and rejects with its error.
 */
export async function startDnsCluster(o: DnsClusterOptions, abort?: AbortSignal): Promise<DnsCluster> {
  const supervisor = new Supervisor(o);
  // First, so that a --metrics-listen conflict fails before any fork.
  const statusServer = await startStatusServer(o.statusListen, supervisor.registry, () => supervisor.status());
  const stop = async (): Promise<void> => {
    await supervisor.stop();
    await statusServer.close();
  };
  try {
    await supervisor.start(abort);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    statusAddress: statusServer.address,
    listen: supervisor.listen(),
    fatal: supervisor.fatal,
    status: () => supervisor.status(),
    stop,
  };
}

/** `rundock dns --workers N`: runs the primary until SIGTERM/SIGINT; resolves to the exit status. */
export async function runDnsCluster(o: DnsClusterOptions): Promise<number> {
  const interrupted = new AbortController();
  const onSignal = (): void => interrupted.abort();
  const signalled = new Promise<'signal'>((resolve) => interrupted.signal.addEventListener('abort', () => resolve('signal')));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    let dns: DnsCluster;
    try {
      dns = await startDnsCluster(o, interrupted.signal);
    } catch (error) {
      // Stopped while starting: the workers are gone, as asked.
      if (interrupted.signal.aborted) return 0;
      throw error;
    }
    o.log.info({ domain: o.settings.domain, listen: dns.listen, forward: o.settings.forward ?? null, workers: o.workers }, 'dns serving');
    const outcome = await Promise.race([signalled, dns.fatal]);
    await dns.stop();
    return outcome === 'fatal' ? 1 : 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

class Supervisor {
  readonly registry: ClusterRegistry;
  /** Resolves with 'fatal' when a slot keeps failing (MAX_FAILURES). */
  readonly fatal: Promise<'fatal'>;
  private readonly slots: Slot[];
  private readonly restartsTotal: Counter;
  private readonly metrics = new WorkerMetrics();
  private stopping = false;
  private startup: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private giveUp: (() => void) | undefined;

  constructor(private readonly o: DnsClusterOptions) {
    this.slots = Array.from({ length: o.workers }, (_, i): Slot => ({ index: i + 1, state: 'waiting', startedAt: 0, failures: 0, restarts: 0 }));
    this.fatal = new Promise((resolve) => (this.giveUp = () => resolve('fatal')));
    this.registry = new ClusterRegistry(() => this.metrics.collect(this.slots.flatMap((s) => (s.worker !== undefined && s.worker.isConnected() ? [s.worker] : []))));
    const registers = [this.registry];
    const slots = this.slots;
    new Gauge({
      name: 'rundock_dns_workers',
      help: 'DNS worker processes serving (ready), out of --workers',
      registers,
      collect() {
        this.set(slots.filter((s) => s.state === 'ready').length);
      },
    });
    this.restartsTotal = new Counter({ name: 'rundock_dns_worker_restarts_total', help: 'DNS worker processes restarted after they died', registers });
    cluster.on('message', (worker, message: unknown) => this.onMessage(worker, message));
    if (o.fork !== undefined) cluster.setupPrimary({ exec: o.fork.exec, execArgv: o.fork.execArgv ?? process.execArgv, args: [] });
  }

  /** Forks every worker; resolves once all serve, rejects if one dies first or `abort` fires. */
  start(abort?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.startup = { resolve, reject };
      abort?.addEventListener('abort', () => {
        this.startup?.reject(new Error('stopped before every DNS worker was serving'));
        this.startup = undefined;
      });
      for (const slot of this.slots) this.fork(slot);
    });
  }

  /** Stops restarting, sends SIGTERM to every worker and waits for them (SIGKILL after SHUTDOWN_TIMEOUT_MS). */
  async stop(): Promise<void> {
    this.stopping = true;
    const running: Worker[] = [];
    for (const slot of this.slots) {
      clearTimeout(slot.restartTimer);
      slot.state = 'stopped';
      if (slot.worker !== undefined && slot.worker.process.exitCode === null && slot.worker.process.signalCode === null) running.push(slot.worker);
    }
    const exited = running.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    for (const worker of running) worker.process.kill('SIGTERM');
    const timeout = setTimeout(() => {
      for (const worker of running) if (worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGKILL');
    }, SHUTDOWN_TIMEOUT_MS);
    await Promise.all(exited);
    clearTimeout(timeout);
  }

  /** The address the workers serve, as the first of them reports it. */
  listen(): string | undefined {
    return this.slots.find((s) => s.status !== undefined)?.status?.listen;
  }

  /** /status: the first serving worker's view at the top (as a single process reports it), then every worker. */
  status(): DnsClusterStatus {
    const first = this.slots.find((s) => s.state === 'ready' && s.status !== undefined)?.status;
    const now = Date.now();
    return {
      domain: this.o.settings.domain,
      listen: this.listen() ?? null,
      records: first?.records ?? 0,
      feed: first?.feed ?? 'loading',
      primary: { pid: process.pid, rss_bytes: process.memoryUsage.rss() },
      workers: this.slots.map((s) => ({
        worker: s.index,
        pid: s.worker?.process.pid ?? null,
        state: s.state,
        records: s.status?.records ?? null,
        feed: s.status?.feed ?? null,
        rss_bytes: s.status?.rss_bytes ?? null,
        reported_ms_ago: s.reportedAt === undefined ? null : now - s.reportedAt,
        restarts: s.restarts,
      })),
    };
  }

  private fork(slot: Slot): void {
    slot.restartTimer = undefined;
    slot.state = 'starting';
    slot.startedAt = Date.now();
    slot.status = undefined;
    slot.reportedAt = undefined;
    slot.failure = undefined;
    const worker = cluster.fork({ [ENV_SLOT]: String(slot.index), [ENV_SETTINGS]: JSON.stringify(this.o.settings) });
    slot.worker = worker;
    // A send to a worker that just died fails with an 'error' event; the 'exit' that follows is what matters.
    worker.on('error', (error) => this.o.log.debug({ err: error, worker: slot.index }, 'DNS worker IPC error'));
    worker.once('exit', (code: number | null, signal: string | null) => this.onExit(slot, worker, code, signal));
  }

  private onMessage(worker: Worker, message: unknown): void {
    if (!isMessage<FromWorker>(message)) return;
    const slot = this.slots.find((s) => s.worker === worker);
    if (slot === undefined) return;
    switch (message.rundockDns) {
      case 'ready':
      case 'status':
        slot.status = message.status;
        slot.reportedAt = Date.now();
        if (message.rundockDns === 'ready' && slot.state === 'starting') this.onReady(slot);
        break;
      case 'failed':
        slot.failure = message.message;
        break;
      case 'metrics':
        this.metrics.replied(worker, message.id, message.metrics);
        break;
    }
  }

  private onReady(slot: Slot): void {
    slot.state = 'ready';
    if (slot.restarts > 0) this.o.log.info({ worker: slot.index, worker_pid: slot.worker?.process.pid }, 'DNS worker serving again');
    if (this.startup !== undefined && this.slots.every((s) => s.state === 'ready')) {
      this.startup.resolve();
      this.startup = undefined;
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    this.metrics.exited(worker);
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    if (this.stopping) return;
    const how = signal !== null ? `signal ${signal}` : `code ${code}`;
    if (this.startup !== undefined) {
      // Not serving yet: a bind or configuration failure, which the next worker would meet too.
      const startup = this.startup;
      this.startup = undefined;
      startup.reject(new Error(`DNS worker ${slot.index} exited (${how}) before serving${slot.failure === undefined ? '' : `: ${slot.failure}`}`));
      return;
    }
    slot.failures = Date.now() - slot.startedAt >= STABLE_AFTER_MS ? 1 : slot.failures + 1;
    if (slot.failures >= MAX_FAILURES) {
      this.o.log.error({ worker: slot.index, exit: how, failures: slot.failures, reason: slot.failure }, 'DNS worker keeps dying; stopping the DNS server');
      slot.state = 'stopped';
      this.giveUp?.();
      return;
    }
    const delay = backoffDelay(slot.failures - 1, RESTART_BASE_MS, RESTART_MAX_MS);
    this.o.log.warn({ worker: slot.index, worker_pid: worker.process.pid, exit: how, reason: slot.failure, restart_in_ms: delay }, 'DNS worker died; restarting it');
    slot.state = 'waiting';
    slot.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      slot.restarts++;
      this.restartsTotal.inc();
      this.fork(slot);
    }, delay);
  }
}

