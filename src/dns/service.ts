import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { FeedProvider, FeedState } from '../registry/feed.js';
import { domainPrefix } from '../registry/path.js';
import type { RateLimitOptions } from './serve/rate-limit.js';
import { DnsMetrics, WATCH_STATE } from './metrics.js';
import { startDnsServer, type DnsServer } from './serve/server.js';
import { ZoneIndex } from './answer/zone-index.js';

/** The default DNS address: loopback, and a port clear of 53 (systemd-resolved), 5353 (mDNS) and 5355 (LLMNR). */
export const DEFAULT_DNS_LISTEN = '127.0.0.1:8053';

export interface DnsServiceOptions {
  domain: string;
  listen: { host: string; port: number };
  /** The process's record feeds (registry/feeds.ts): the service follows the domain's, shared with others. */
  feeds: FeedProvider;
  forward?: string | undefined;
  defaultTtl: number;
  /** Per-client UDP response rate limit (serve/rate-limit.ts). */
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

/** Starts the DNS server for one domain, its view fed by the process's feed of the domain (etcd or embedded). */
export async function startDnsService(o: DnsServiceOptions): Promise<DnsService> {
  const metrics = new DnsMetrics(o.metricsRegistry);
  const index = new ZoneIndex(o.domain, {
    onBadRecord: (key, reason) => o.log.warn({ key, reason }, 'record skipped'),
  });
  let feedState: FeedState = 'loading';
  const onState = (state: FeedState): void => {
    feedState = state;
    metrics.watchState.set(WATCH_STATE[state]);
  };
  // The feed's first load was attempted (etcd keeps retrying after); its view reaches the index at once.
  const feed = await o.feeds.feed(domainPrefix(o.domain));
  const unsubscribe = feed.subscribe(index, onState);
  let server: DnsServer;
  try {
    server = await startDnsServer({
      listen: o.listen,
      zones: index,
      forward: o.forward,
      defaultTtl: o.defaultTtl,
      serial: () => feed.revision(),
      metrics,
      shared: o.clusterWorker,
      rateLimit: o.rateLimit,
      log: o.log,
    });
  } catch (error) {
    unsubscribe();
    throw error;
  }
  return {
    server,
    index,
    status: () => ({ domain: o.domain, records: index.size, feed: feedState }),
    stop: async () => {
      await server.close();
      unsubscribe();
    },
  };
}
