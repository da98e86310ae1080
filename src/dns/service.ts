import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { EmbeddedRegistry } from '../registry/embedded.js';
import { feedFromEmbedded } from '../registry/feed-embedded.js';
import type { FeedState } from '../registry/feed-etcd.js';
import type { EtcdSource } from '../registry/etcd-connection.js';
import type { RateLimitOptions } from './rate-limit.js';
import { DnsMetrics, WATCH_STATE } from './metrics.js';
import { startDnsServer, type DnsServer } from './server.js';
import { ZoneIndex } from './zone-index.js';

/** The default DNS address: loopback, and a port clear of 53 (systemd-resolved), 5353 (mDNS) and 5355 (LLMNR). */
export const DEFAULT_DNS_LISTEN = '127.0.0.1:8053';

export interface DnsServiceOptions {
  domain: string;
  listen: { host: string; port: number };
  /** Records from etcd (load + watch), or from the agent's own embedded registry. */
  source: EtcdSource | { embedded: EmbeddedRegistry };
  forward?: string | undefined;
  defaultTtl: number;
  /** Per-client UDP response rate limit (rate-limit.ts). */
  rateLimit?: RateLimitOptions | undefined;
  metricsRegistry?: MetricsRegistry | undefined;
  /**
   * In a node:cluster worker (`rundock dns --workers N`): listen on the sockets the primary shares between the
   * workers (see DnsServerOptions.shared).
   */
  clusterWorker?: boolean;
  log: Logger;
}

export interface DnsService {
  server: DnsServer;
  index: ZoneIndex;
  status(): { domain: string; records: number; feed: FeedState };
  stop(): Promise<void>;
}

/** Starts the DNS server for one domain with its view fed from etcd or the embedded registry. */
export async function startDnsService(o: DnsServiceOptions): Promise<DnsService> {
  const metrics = new DnsMetrics(o.metricsRegistry);
  const index = new ZoneIndex(o.domain, {
    onBadRecord: (key, reason) => o.log.warn({ key, reason }, 'record skipped'),
  });
  let feed: FeedState = 'loading';
  const onState = (state: FeedState): void => {
    feed = state;
    metrics.watchState.set(WATCH_STATE[state]);
  };
  let serial: () => number;
  let stopFeed: () => Promise<void> | void;
  if ('etcd' in o.source) {
    // Imported on demand: etcd3 and grpc load only in processes that talk to etcd.
    const { EtcdZoneFeed } = await import('../registry/feed-etcd.js');
    const etcdFeed = new EtcdZoneFeed({
      ...o.source.etcd,
      failOnAccessError: o.source.retryAccessErrors !== true,
      domain: o.domain,
      sink: index,
      log: o.log,
      onState,
    });
    await etcdFeed.start();
    serial = () => etcdFeed.revision();
    stopFeed = () => etcdFeed.stop();
  } else {
    const embedded = await feedFromEmbedded(o.source.embedded, o.domain, index);
    onState('watching');
    serial = embedded.serial;
    stopFeed = embedded.stop;
  }
  let server: DnsServer;
  try {
    server = await startDnsServer({
      listen: o.listen,
      zones: index,
      forward: o.forward,
      defaultTtl: o.defaultTtl,
      serial,
      metrics,
      shared: o.clusterWorker,
      rateLimit: o.rateLimit,
      log: o.log,
    });
  } catch (error) {
    await stopFeed();
    throw error;
  }
  return {
    server,
    index,
    status: () => ({ domain: o.domain, records: index.size, feed }),
    stop: async () => {
      await server.close();
      await stopFeed();
    },
  };
}
