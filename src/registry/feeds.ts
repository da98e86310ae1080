/**
 * The process's record feeds: one per prefix, whoever asks for it. An agent running DNS, the gateway and the UI
 * follows the domain's /skydns subtree once (one etcd client, one watch) and fans it out to all three.
 *
 * Lifetime: a feed runs from the first ask until the process stops its feeds (stop(), one of its stop steps).
 * Consumers only unsubscribe; a feed nobody follows for a moment (a consumer restarting) keeps its view current,
 * so that the next one starts from it instead of from a reload.
 */
import type { Logger } from 'pino';
import type { EmbeddedRegistry } from './embedded.js';
import type { EtcdSource } from './etcd-connection.js';
import { EmbeddedFeed } from './feed-embedded.js';
import { FanOutFeed, type FeedDriver, type FeedProvider, type FeedStatus, type RecordFeed } from './feed.js';

/** Where the records come from: etcd (load, then watch), or the agent's own embedded registry. */
export type FeedSource = EtcdSource | { readonly embedded: EmbeddedRegistry };

export interface ProcessFeedsOptions {
  source: FeedSource;
  /** Each feed logs as a child of it, with its prefix (etcd outages, reloads). */
  log: Logger;
}

interface Running {
  feed: FanOutFeed;
  /** Set as soon as it exists, before its first load: a stop during the start does not wait for that load. */
  driver?: FeedDriver;
  started: Promise<FeedDriver>;
}

/** Owns the process's feeds: hands out one shared RecordFeed per prefix, shows them in /status, stops them. */
export class ProcessFeeds implements FeedProvider {
  private readonly running = new Map<string, Running>();
  private stopped = false;

  constructor(private readonly o: ProcessFeedsOptions) {}

  /**
   * The feed of `prefix`, started on the first ask; resolves once its first load was attempted. Rejects (and forgets
   * the feed, so a later ask starts over) when that load fails on TLS or auth and the source does not retry those.
   */
  async feed(prefix: string): Promise<RecordFeed> {
    if (this.stopped) throw new Error('the record feeds are stopped');
    let running = this.running.get(prefix);
    if (running === undefined) {
      running = this.start(prefix);
      this.running.set(prefix, running);
    }
    const { feed, started } = running;
    await started.catch((error: unknown) => {
      if (this.running.get(prefix)?.started === started) this.running.delete(prefix);
      throw error;
    });
    return feed;
  }

  /** Every feed, as GET /status shows it: one entry per prefix. */
  status(): FeedStatus[] {
    return [...this.running.values()].map(({ feed }) => feed.status());
  }

  /** Stops every feed; consumers still subscribed keep their last view. */
  async stop(): Promise<void> {
    this.stopped = true;
    const running = [...this.running.values()];
    this.running.clear();
    await Promise.all(
      running.map(async (r) => {
        if (r.driver !== undefined) return r.driver.stop();
        return r.started.then((driver) => driver.stop()).catch(() => undefined);
      }),
    );
  }

  private start(prefix: string): Running {
    const log = this.o.log.child({ prefix });
    const feed = new FanOutFeed(
      prefix,
      () => running.driver?.revision() ?? 0,
      (error) => log.error({ err: error }, 'a consumer of the feed failed on a change'),
    );
    // The callbacks run later, once `running` exists.
    const started = this.driver(prefix, feed, log).then(async (driver) => {
      running.driver = driver;
      if (!this.stopped) await driver.start();
      return driver;
    });
    const running: Running = { feed, started };
    return running;
  }

  private async driver(prefix: string, feed: FanOutFeed, log: Logger): Promise<FeedDriver> {
    const { source } = this.o;
    const onState = feed.setState.bind(feed);
    if ('embedded' in source) return new EmbeddedFeed(source.embedded, prefix, feed, onState);
    // Imported on demand: etcd3 and grpc load only in processes that talk to etcd.
    const { EtcdZoneFeed } = await import('./feed-etcd.js');
    return new EtcdZoneFeed({
      ...source.etcd,
      failOnAccessError: source.retryAccessErrors !== true,
      prefix,
      sink: feed,
      log,
      onState,
    });
  }
}
