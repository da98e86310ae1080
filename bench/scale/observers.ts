/**
 * How bench/scale sees a change arrive, from outside the processes it measures: the gateway's file on disk (polled
 * every 10 ms), the gateway's report of what nginx serves (an etcd watch on /rundock/gateways/<name>, published
 * after each confirmed reload), and DNS answers (queried every 5 ms). Each wait resolves to the moment the
 * condition was first seen (ms since the epoch), or rejects after its deadline.
 */
import { stat, readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Etcd3, Watcher } from 'etcd3';
import { gatewayKey } from '../../src/registry/path.js';
import { decodeServingReport, type ServingReport } from '../../src/registry/serving-report.js';
import type { UdpClient } from '../../test/integration/dns/client.js';

export const now = (): number => performance.timeOrigin + performance.now();

interface Waiter<T> {
  test: (value: T) => boolean;
  resolve: (at: number) => void;
}

/** The latest value of something, and waits for a value that passes a test. */
class Latest<T> {
  private waiters = new Set<Waiter<T>>();

  constructor(private current: T) {}

  get value(): T {
    return this.current;
  }

  set(value: T): void {
    this.current = value;
    const at = now();
    for (const w of [...this.waiters])
      if (w.test(value)) {
        this.waiters.delete(w);
        w.resolve(at);
      }
  }

  /** When the value first passes `test` (now, if it already does). */
  until(test: (value: T) => boolean, timeoutMs: number, what: string): Promise<number> {
    if (test(this.current)) return Promise.resolve(now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${what}: not within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter<T> = { test, resolve: (at) => (clearTimeout(timer), resolve(at)) };
      this.waiters.add(waiter);
    });
  }
}

/** The gateway's rendered file, read again whenever it is replaced. */
export class FileWatch extends Latest<string> {
  private timer: NodeJS.Timeout | undefined;
  private seen = '';

  constructor(private readonly path: string) {
    super('');
  }

  start(): void {
    const poll = async (): Promise<void> => {
      const s = await stat(this.path).catch(() => undefined);
      const id = s === undefined ? '' : `${s.ino}:${s.mtimeMs}:${s.size}`;
      if (id !== this.seen) {
        this.seen = id;
        this.set(await readFile(this.path, 'utf8').catch(() => ''));
      }
      this.timer = setTimeout(() => void poll(), 10);
    };
    void poll();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** Upstream servers in a rendered file (`    server ADDRESS:PORT;` lines). */
export function serverCount(text: string): number {
  return text.match(/^ {4}server /gm)?.length ?? 0;
}

/** The gateway's serving report, followed through an etcd watch. */
export class ServingWatch extends Latest<ServingReport | undefined> {
  private watcher: Watcher | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly gateway: string,
  ) {
    super(undefined);
  }

  async start(): Promise<void> {
    const key = gatewayKey(this.gateway);
    const value = await this.client.get(key).string();
    if (value !== null) this.set(decodeServingReport(value));
    this.watcher = await this.client.watch().key(key).create();
    this.watcher.on('put', (kv) => this.set(decodeServingReport(kv.value.toString())));
  }

  async stop(): Promise<void> {
    await this.watcher?.cancel();
  }
}

/** Deletions under a prefix, seen through an etcd watch: when a given key goes. */
export class DeleteWatch {
  private watcher: Watcher | undefined;
  private readonly waiting = new Map<string, (at: number) => void>();

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
  ) {}

  async start(): Promise<void> {
    this.watcher = await this.client.watch().prefix(this.prefix).create();
    this.watcher.on('delete', (kv) => {
      const key = kv.key.toString();
      this.waiting.get(key)?.(now());
      this.waiting.delete(key);
    });
  }

  /** When `key` is next deleted (call it before the delete can happen). */
  next(key: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`${key}: no delete within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(key, (at) => (clearTimeout(timer), resolve(at)));
    });
  }

  async stop(): Promise<void> {
    await this.watcher?.cancel();
  }
}

/** Servers in a serving report. */
export function reportedServers(report: ServingReport | undefined): number {
  return Object.values(report?.services ?? {}).reduce((n, list) => n + list.length, 0);
}

/** Whether the report lists `address` (`ip:port`) under `service`. */
export function reports(report: ServingReport | undefined, service: string, address: string): boolean {
  return report?.services[service]?.includes(address) ?? false;
}

/** When a DNS A query for `name` first gets `rcode` (every 5 ms). */
export async function dnsUntil(dns: UdpClient, name: string, rcode: string, timeoutMs: number): Promise<number> {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    const reply = await dns.query(name, 'A', { waitMs: 500 });
    if (reply?.rcode === rcode) return now();
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`DNS ${name}: no ${rcode} within ${timeoutMs} ms`);
}
