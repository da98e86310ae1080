/**
 * Where the UI's records come from: etcd (two EtcdZoneFeeds, one on the domain's /skydns subtree and one on
 * /rundock/, each loading then watching) or, inside an agent on a single machine, its embedded registry (onChange).
 */
import type { Logger } from 'pino';
import type { EmbeddedRegistry } from '../registry/embedded.js';
import type { EtcdSource } from '../registry/etcd-connection.js';
import type { FeedState } from '../registry/feed-etcd.js';
import { domainPrefix } from '../registry/path.js';
import type { UiHub } from './hub.js';
import { RUNDOCK_PREFIX } from './records.js';

export type UiSource = EtcdSource | { readonly embedded: EmbeddedRegistry };

/** Starts feeding `hub`; resolves once the first load was attempted, to the function that stops the feed. */
export async function startUiFeed(
  source: UiSource,
  domain: string,
  hub: UiHub,
  log: Logger,
): Promise<() => Promise<void>> {
  const prefixes = [domainPrefix(domain), RUNDOCK_PREFIX];
  if ('embedded' in source) return followEmbedded(source.embedded, prefixes, hub);
  // Imported on demand: etcd3 and grpc load only in processes that talk to etcd.
  const { EtcdZoneFeed } = await import('../registry/feed-etcd.js');
  const states = new Map<string, FeedState>(prefixes.map((p) => [p, 'loading']));
  const feeds = prefixes.map(
    (prefix) =>
      new EtcdZoneFeed({
        ...source.etcd,
        failOnAccessError: source.retryAccessErrors !== true,
        domain,
        prefix,
        sink: hub.sink(prefix),
        log: log.child({ prefix }),
        onState: (state) => {
          states.set(prefix, state);
          hub.setFeed(combined([...states.values()]));
        },
      }),
  );
  const stop = async (): Promise<void> => void (await Promise.all(feeds.map((f) => f.stop())));
  const started = await Promise.allSettled(feeds.map((f) => f.start()));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  return stop;
}

/** Every feed watching: watching; any disconnected: disconnected (the page says it shows the last view); else loading. */
export function combined(states: readonly FeedState[]): FeedState {
  if (states.includes('disconnected')) return 'disconnected';
  return states.every((s) => s === 'watching') ? 'watching' : 'loading';
}

async function followEmbedded(
  registry: EmbeddedRegistry,
  prefixes: readonly string[],
  hub: UiHub,
): Promise<() => Promise<void>> {
  const sink = hub.sink('/');
  const relevant = (records: ReadonlyMap<string, string>): [string, string][] =>
    [...records].filter(([key]) => prefixes.some((p) => key.startsWith(p)));
  sink.replaceAll(relevant(await registry.list('/')));
  const unsubscribe = registry.onChange((records) => sink.replaceAll(relevant(records)));
  hub.setFeed('watching');
  return (): Promise<void> => {
    unsubscribe();
    return Promise.resolve();
  };
}
