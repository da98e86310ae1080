/**
 * One worker of `rundock dns --workers N` (see workers.ts for the primary): runs the whole DNS service on the
 * listeners the cluster shares, reports its status every second and answers the primary's metrics requests.
 * Also the protocol between the two: the settings handed over in the environment and the IPC messages.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { EtcdConnection } from '../../registry/etcd-connection.js';
import type { FeedState } from '../../registry/feed.js';
import { ProcessFeeds } from '../../registry/feeds.js';
import type { RateLimitOptions } from '../serve/rate-limit.js';
import { stopSignal, stopWithin } from '../../shared/shutdown.js';
import { startDnsService } from '../service.js';

/** What every worker serves: resolved once by the primary and handed over, so all workers serve the same thing. */
export interface DnsWorkerSettings {
  domain: string;
  /** TLS file paths, auth user and password file: paths, never contents. */
  etcd: EtcdConnection;
  listen: { host: string; port: number };
  forward?: string | undefined;
  defaultTtl: number;
  rateLimit?: RateLimitOptions;
}

/** A worker's view, as it reports it every STATUS_INTERVAL_MS. */
export interface DnsWorkerStatus {
  domain: string;
  /** The UDP address served (the port the primary picked, with port 0). */
  listen: string;
  records: number;
  feed: FeedState;
  rss_bytes: number;
}

export const ENV_SETTINGS = 'RUNDOCK_DNS_WORKER_SETTINGS';
export const ENV_SLOT = 'RUNDOCK_DNS_WORKER_SLOT';
const STATUS_INTERVAL_MS = 1000;

export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

export type FromWorker =
  | { rundockDns: 'ready' | 'status'; status: DnsWorkerStatus }
  | { rundockDns: 'failed'; message: string; socket?: SocketFailure }
  | { rundockDns: 'metrics'; id: number; metrics: MetricsJson };
export type ToWorker = { rundockDns: 'metrics'; id: number };

/** A socket error's fields (a bind that failed): the primary reports it as its own, naming the address. */
export type SocketFailure = Pick<NodeJS.ErrnoException, 'code' | 'syscall'> & { address?: string; port?: number };

/** True in a process forked by startDnsCluster: `rundock dns` then runs runDnsWorker. */
export function isDnsWorker(): boolean {
  return cluster.isWorker && process.env[ENV_SETTINGS] !== undefined;
}

/** Runs one worker until SIGTERM/SIGINT (or the primary's end); the process exits at the end, never returns. */
export async function runDnsWorker(baseLog: Logger): Promise<number> {
  const settings = JSON.parse(process.env[ENV_SETTINGS] ?? '') as DnsWorkerSettings;
  const slot = process.env[ENV_SLOT] ?? '?';
  const log = baseLog.child({ worker: slot });
  const registry = new Registry();
  const send = (message: FromWorker, then?: () => void): void => {
    if (process.connected) process.send?.(message, undefined, {}, () => then?.());
    else then?.();
  };
  // One feed per process: each worker follows the domain on its own, as a process of its own must.
  const feeds = new ProcessFeeds({ source: { etcd: settings.etcd }, log });
  let dns: Awaited<ReturnType<typeof startDnsService>>;
  try {
    dns = await startDnsService({
      domain: settings.domain,
      listen: settings.listen,
      feeds,
      forward: settings.forward,
      defaultTtl: settings.defaultTtl,
      rateLimit: settings.rateLimit,
      metricsRegistry: registry,
      clusterWorker: true,
      log,
    });
  } catch (error) {
    await feeds.stop();
    // The primary reports it, once for all workers.
    const { code, syscall, address, port } = (error ?? {}) as SocketFailure;
    const message = error instanceof Error ? error.message : String(error);
    send({ rundockDns: 'failed', message, socket: { code, syscall, address, port } }, () => process.exit(1));
    setTimeout(() => process.exit(1), 1000);
    return new Promise<number>(() => undefined);
  }
  const listen = `${dns.server.udpAddress.address}:${dns.server.udpAddress.port}`;
  const status = (): DnsWorkerStatus => ({ ...dns.status(), listen, rss_bytes: process.memoryUsage.rss() });
  send({ rundockDns: 'ready', status: status() });
  const timer = setInterval(() => send({ rundockDns: 'status', status: status() }), STATUS_INTERVAL_MS);
  process.on('message', (message: unknown) => {
    if (!isMessage<ToWorker>(message) || message.rundockDns !== 'metrics') return;
    registry.getMetricsAsJSON().then(
      (metrics) => send({ rundockDns: 'metrics', id: message.id, metrics: labelGauges(metrics, slot) }),
      (error: unknown) => {
        log.warn({ err: error }, 'collecting metrics failed');
        send({ rundockDns: 'metrics', id: message.id, metrics: [] });
      },
    );
  });
  await stopSignal(log);
  clearInterval(timer);
  // Well under the primary's 3 s before it kills a worker.
  const steps = [
    { name: 'stop the DNS server', run: () => dns.stop() },
    { name: 'stop the record feed', run: () => feeds.stop() },
  ];
  await stopWithin(steps, { log, budgetMs: 2000 });
  process.exit(0);
}

/**
 * Counters and the histogram are summed over the workers; a gauge (records loaded, feed state) is a worker's own
 * view, so each worker's value is kept, labelled with its slot.
 */
function labelGauges(metrics: MetricsJson, slot: string): MetricsJson {
  return metrics.map((metric) =>
    String(metric.type) !== 'gauge'
      ? metric
      : { ...metric, values: metric.values.map((value) => ({ ...value, labels: { ...value.labels, worker: slot } })) },
  );
}

/** True for the IPC messages of this protocol. */
export function isMessage<T extends { rundockDns: string }>(message: unknown): message is T {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { rundockDns?: unknown }).rundockDns === 'string'
  );
}
