import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { FeedProvider } from '../../registry/feed.js';
import { domainPrefix } from '../../registry/path.js';
import { PublicZoneUpdater, type PublicZoneOptions } from './updater.js';

/** The public zone's updater as the daemons run it: its status, its readiness, its stop. */
export interface PublicZone {
  status(): ReturnType<PublicZoneUpdater['status']>;
  notReady(): string | undefined;
  stop(): void;
}

/** Starts keeping the public names at the primary, following the process's feed of the domain (shared with DNS). */
export async function startPublicZone(o: {
  domain: string;
  options: PublicZoneOptions;
  feeds: FeedProvider;
  metricsRegistry?: MetricsRegistry | undefined;
  log: Logger;
}): Promise<PublicZone> {
  const updater = new PublicZoneUpdater({
    ...o.options,
    domain: o.domain,
    log: o.log,
    metricsRegistry: o.metricsRegistry,
  });
  const feed = await o.feeds.feed(domainPrefix(o.domain));
  const unsubscribe = feed.subscribe(updater, (state) => updater.feedState(state));
  return {
    status: () => updater.status(),
    notReady: () => updater.notReady(),
    stop: () => {
      unsubscribe();
      updater.stop();
    },
  };
}
