/**
 * Where the gateway's records come from: etcd (EtcdZoneFeed: load, then watch), the agent's embedded registry, or
 * any feed a caller supplies (tests). Each writes into a RecordView, the gateway's in-memory copy of the domain.
 */
import type { EmbeddedRegistry } from '../registry/embedded.js';
import type { EtcdSource } from '../registry/etcd-connection.js';
import { feedFromEmbedded } from '../registry/feed-embedded.js';
import type { FeedState, ZoneSink } from '../registry/feed-etcd.js';
import type { Logger } from 'pino';

/** A feed of the domain's records: starts writing into `sink`, reports its state, resolves to its stop function. */
export type FeedStarter = (sink: ZoneSink, onState: (state: FeedState) => void) => Promise<() => Promise<void> | void>;

/**
 * etcd, the agent's embedded registry, or a feed of one's own (tests).
 */
export type GatewaySource = EtcdSource | { readonly embedded: EmbeddedRegistry } | { readonly feed: FeedStarter };

/** The domain's records by key, as the feed last wrote them; calls `onChange` after every change. */
export class RecordView implements ZoneSink {
  private readonly records = new Map<string, string>();

  constructor(private readonly onChange: () => void) {}

  get size(): number {
    return this.records.size;
  }

  entries(): IterableIterator<[string, string]> {
    return this.records.entries();
  }

  replaceAll(entries: Iterable<[string, string]>): void {
    this.records.clear();
    for (const [key, value] of entries) this.records.set(key, value);
    this.onChange();
  }

  put(key: string, value: string): void {
    if (this.records.get(key) === value) return;
    this.records.set(key, value);
    this.onChange();
  }

  delete(key: string): void {
    if (this.records.delete(key)) this.onChange();
  }
}

/** A started feed: how to stop it, and the registry revision its view reflects (0 for a test's own feed). */
export interface RunningFeed {
  stop(): Promise<void> | void;
  revision(): number;
}

/** Starts the source's feed into `sink`; resolves once its first load was attempted (etcd keeps retrying after). */
export async function startFeed(
  source: GatewaySource,
  domain: string,
  sink: ZoneSink,
  onState: (state: FeedState) => void,
  log: Logger,
): Promise<RunningFeed> {
  if ('feed' in source) return { stop: await source.feed(sink, onState), revision: () => 0 };
  if ('embedded' in source) {
    const embedded = await feedFromEmbedded(source.embedded, domain, sink);
    onState('watching');
    return { stop: embedded.stop, revision: embedded.serial };
  }
  // Imported on demand: etcd3 and grpc load only in processes that talk to etcd.
  const { EtcdZoneFeed } = await import('../registry/feed-etcd.js');
  const feed = new EtcdZoneFeed({
    ...source.etcd,
    failOnAccessError: source.retryAccessErrors !== true,
    domain,
    sink,
    log,
    onState,
  });
  await feed.start();
  return { stop: () => feed.stop(), revision: () => feed.revision() };
}
