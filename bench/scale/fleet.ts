/**
 * The simulated hosts of bench/scale, from the orchestrator's side: worker processes (host-worker.ts) that each run
 * many hosts. Host 0 runs alone in its worker, so that worker's resident memory is one agent's.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Layout } from './layout.js';
import type { Reply, Request } from './protocol.js';

const WORKER = fileURLToPath(new URL('./host-worker.ts', import.meta.url));
/**
 * The worker, bundled (its packages left to node_modules) so that it runs on plain node as `rundock agent` does:
 * through tsx, every process would carry a TypeScript compiler and its memory. Under test-output/ (not tracked), from
 * where node_modules resolves.
 */
const BUNDLED = fileURLToPath(new URL('../../test-output/bench-scale/host-worker.mjs', import.meta.url));
/** Simulated hosts per worker process (but host 0, alone in the first). */
const HOSTS_PER_WORKER = 250;
const REQUEST_TIMEOUT_MS = 600_000;

/** A request as callers give it: the worker numbers it. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

class HostWorker {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  readonly exited: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    readonly hosts: readonly number[],
  ) {
    child.on('message', (reply: Reply) => this.waiting.get(reply.id)?.(reply));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Sends a request; resolves to when it took effect (the worker's clock, ms since the epoch). */
  async ask(request: WithoutId<Request>): Promise<number> {
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker: no reply to ${request.op}`)), REQUEST_TIMEOUT_MS);
      this.waiting.set(id, (r) => (clearTimeout(timer), this.waiting.delete(id), resolve(r)));
      void this.exited.then(() => reject(new Error(`worker exited before replying to ${request.op}`)));
      if (this.child.connected) this.child.send({ ...request, id });
      else reject(new Error(`worker gone: cannot send ${request.op}`));
    });
    if (!reply.ok) throw new Error(`worker failed ${request.op}: ${reply.error}`);
    return reply.at;
  }
}

/** The worker processes and which hosts each runs. */
export class Fleet {
  private readonly log: WriteStream;

  private constructor(
    private readonly workers: HostWorker[],
    logFile: string,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
    for (const w of workers) w.child.stderr?.pipe(this.log, { end: false });
  }

  /** Builds and forks the workers for `layout.hosts` hosts; resolves once each answers. No host starts yet. */
  static async create(layout: Layout, logFile: string): Promise<Fleet> {
    await build({
      entryPoints: [WORKER],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile: BUNDLED,
      logLevel: 'warning',
    });
    const groups: number[][] = [[0]];
    for (let h = 1; h < layout.hosts; h += HOSTS_PER_WORKER)
      groups.push(Array.from({ length: Math.min(HOSTS_PER_WORKER, layout.hosts - h) }, (_, i) => h + i));
    const workers = groups.map((hosts) => {
      const child = fork(BUNDLED, [], {
        // Plain node: fork would pass on this process's `--import tsx` (13 MiB more in one agent's memory).
        execArgv: [],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        env: { ...process.env, RUNDOCK_LOG_LEVEL: 'warn' },
      });
      return new HostWorker(child, hosts);
    });
    const fleet = new Fleet(workers, logFile);
    await Promise.all(workers.map((w) => w.ask({ op: 'ping' })));
    return fleet;
  }

  /** The pid of the worker that runs host 0 alone, and those of the others. */
  pids(): { single: number; others: number[] } {
    const [first, ...rest] = this.workers.map((w) => w.child.pid ?? 0);
    return { single: first ?? 0, others: rest };
  }

  /** Starts every host's agent, all workers at once; resolves when every first sync is done. */
  async start(layout: Layout, etcd: string[], leaseTtl: number): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ask({ op: 'start', hosts: [...w.hosts], layout, etcd, leaseTtl })));
  }

  kill(host: number, slot: number): Promise<number> {
    return this.workerOf(host).ask({ op: 'kill', host, slot });
  }

  revive(host: number, slot: number): Promise<number> {
    return this.workerOf(host).ask({ op: 'revive', host, slot });
  }

  /** Cuts `hosts` off at once; resolves to the earliest moment a worker cut one. */
  async cut(hosts: readonly number[]): Promise<number> {
    const asks = this.workers
      .map((w) => ({ w, mine: hosts.filter((h) => w.hosts.includes(h)) }))
      .filter(({ mine }) => mine.length > 0)
      .map(({ w, mine }) => w.ask({ op: 'cut', hosts: mine }));
    return Math.min(...(await Promise.all(asks)));
  }

  /** Stops every agent (records left to their leases) and ends the workers; bounded, then SIGKILL. */
  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        const timer = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
        await w.ask({ op: 'stop' }).catch(() => undefined);
        if (w.child.connected) w.child.disconnect();
        await w.exited;
        clearTimeout(timer);
      }),
    );
    this.log.end();
  }

  private workerOf(host: number): HostWorker {
    const worker = this.workers.find((w) => w.hosts.includes(host));
    if (worker === undefined) throw new Error(`no worker runs host ${host}`);
    return worker;
  }
}
