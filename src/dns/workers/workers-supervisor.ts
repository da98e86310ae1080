/**
 * The primary's side of `rundock dns --workers N` (workers.ts): forks the workers, restarts a dead one after a backoff
 * (0.5 s doubling to 30 s, reset once a worker has run 60 s), gives up (fatal) when a slot keeps dying young, and
 * keeps each worker's last reported status for /status.
 */
import cluster, { type Worker } from 'node:cluster';
import { isSea } from 'node:sea';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import type { FeedState } from '../../registry/feed.js';
import { backoffDelay } from '../../shared/backoff.js';
import {
  ENV_SETTINGS,
  ENV_SLOT,
  isMessage,
  type DnsWorkerStatus,
  type FromWorker,
  type SocketFailure,
} from './worker.js';
import type { DnsWorkerSettings } from './worker.js';
import { ClusterRegistry, WorkerMetrics } from './workers-metrics.js';

export interface DnsClusterOptions {
  settings: DnsWorkerSettings;
  workers: number;
  statusListen: { host: string; port: number };
  log: Logger;
  /**
   * What a worker runs. Default: this process's script and arguments again (`rundock dns ...`; in the single executable, its command line), which see
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
/** Under the stop's budget (shared/shutdown.ts): a worker that has not exited by then is killed. */
const SHUTDOWN_TIMEOUT_MS = 3000;

export interface Slot {
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
  /** The failure's socket error fields, if it was one (a bind). */
  socketFailure?: SocketFailure;
}

export class Supervisor {
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
    this.slots = Array.from({ length: o.workers }, (_, i): Slot => ({
      index: i + 1,
      state: 'waiting',
      startedAt: 0,
      failures: 0,
      restarts: 0,
    }));
    this.fatal = new Promise((resolve) => (this.giveUp = () => resolve('fatal')));
    this.registry = new ClusterRegistry(() =>
      this.metrics.collect(
        this.slots.flatMap((s) => (s.worker !== undefined && s.worker.isConnected() ? [s.worker] : [])),
      ),
    );
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
    this.restartsTotal = new Counter({
      name: 'rundock_dns_worker_restarts_total',
      help: 'DNS worker processes restarted after they died',
      registers,
    });
    cluster.on('message', (worker, message: unknown) => this.onMessage(worker, message));
    if (o.fork !== undefined)
      cluster.setupPrimary({ exec: o.fork.exec, execArgv: o.fork.execArgv ?? process.execArgv, args: [] });
    else if (isSea()) cluster.setupPrimary(executableCommandLine());
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
      if (slot.worker !== undefined && slot.worker.process.exitCode === null && slot.worker.process.signalCode === null)
        running.push(slot.worker);
    }
    const exited = running.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    for (const worker of running) worker.process.kill('SIGTERM');
    const timeout = setTimeout(() => {
      for (const worker of running)
        if (worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGKILL');
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
        slot.socketFailure = message.socket;
        break;
      case 'metrics':
        this.metrics.replied(worker, message.id, message.metrics);
        break;
    }
  }

  private onReady(slot: Slot): void {
    slot.state = 'ready';
    if (slot.restarts > 0)
      this.o.log.info({ worker: slot.index, worker_pid: slot.worker?.process.pid }, 'DNS worker serving again');
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
      const error = new Error(
        `DNS worker ${slot.index} exited (${how}) before serving${slot.failure === undefined ? '' : `: ${slot.failure}`}`,
      );
      // A bind error keeps its fields: reported as the address in use, like a server without workers (cli/output.ts).
      startup.reject(Object.assign(error, slot.socketFailure));
      return;
    }
    slot.failures = Date.now() - slot.startedAt >= STABLE_AFTER_MS ? 1 : slot.failures + 1;
    if (slot.failures >= MAX_FAILURES) {
      this.o.log.error(
        { worker: slot.index, exit: how, failures: slot.failures, reason: slot.failure },
        'DNS worker keeps dying; stopping the DNS server',
      );
      slot.state = 'stopped';
      this.giveUp?.();
      return;
    }
    const delay = backoffDelay(slot.failures - 1, RESTART_BASE_MS, RESTART_MAX_MS);
    this.o.log.warn(
      { worker: slot.index, worker_pid: worker.process.pid, exit: how, reason: slot.failure, restart_in_ms: delay },
      'DNS worker died; restarting it',
    );
    slot.state = 'waiting';
    slot.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      slot.restarts++;
      this.restartsTotal.inc();
      this.fork(slot);
    }, delay);
  }
}

/**
 * What a worker of the single executable runs: this command line again. The executable has no script, and Node hands
 * a forked process the "script" and its arguments as the command's words (process.argv[2] on), so the command's first
 * word takes the script's place.
 */
function executableCommandLine(): { exec: string; args: string[] } {
  const [first = '', ...rest] = process.argv.slice(2);
  return { exec: first, args: rest };
}
