/**
 * A record feed: an in-memory view of one registry prefix kept current (etcd: load + watch, feed-etcd.ts; the
 * embedded registry: its change subscription, feed-embedded.ts), shared by every consumer in the process (the DNS
 * server's zone index, the gateway's upstreams, the web UI). One feed per prefix per process: feeds.ts owns them.
 */

/** Where a feed stands: loading the subtree, following changes, or serving its last view while etcd is away. */
export type FeedState = 'loading' | 'watching' | 'disconnected';

/** What a feed writes into: an in-memory view of the records (the DNS server's zone index, the gateway's upstreams). */
export interface ZoneSink {
  replaceAll(entries: Iterable<[string, string]>): void;
  put(key: string, value: string): void;
  delete(key: string): void;
}

/** What keeps a feed's view current: started once, writing into the feed (its sink) and reporting its state. */
export interface FeedDriver {
  /** Resolves once the first load was attempted (etcd keeps retrying after); rejects only on a fatal first load. */
  start(): Promise<void>;
  stop(): Promise<void> | void;
  /** The registry revision the view reflects (etcd's revision, the embedded registry's change counter). */
  revision(): number;
}

/** One feed as GET /status shows it. */
export interface FeedStatus {
  prefix: string;
  state: FeedState;
  /** Keys in the view. */
  records: number;
  revision: number;
  /** Consumers following it now (DNS, gateway, UI). */
  subscribers: number;
}

/** A shared view of one prefix, as consumers see it. */
export interface RecordFeed {
  readonly prefix: string;
  /**
   * Follows the feed: `sink` gets the current view at once (when one was loaded) and `onState` the current state,
   * then every change. Returns the function that stops following (the feed itself keeps running: feeds.ts).
   */
  subscribe(sink: ZoneSink, onState: (state: FeedState) => void): () => void;
  revision(): number;
  status(): FeedStatus;
}

/** Hands out the process's one feed of a prefix, started on first ask (ProcessFeeds in feeds.ts). */
export interface FeedProvider {
  feed(prefix: string): Promise<RecordFeed>;
}

interface Subscriber {
  sink: ZoneSink;
  onState: (state: FeedState) => void;
}

/**
 * The fan-out between one driver and its consumers: the driver writes into it as into any sink, it keeps the view
 * (so that a consumer that subscribes late starts from the current records) and passes every change and every state
 * on to each subscriber. A subscriber that throws is reported and skipped: it must not starve the others.
 * The view costs about 13 MiB of heap per 100,000 records (its keys are the strings the consumers keep anyway).
 */
export class FanOutFeed implements RecordFeed, ZoneSink {
  private readonly view = new Map<string, string>();
  private readonly subscribers = new Set<Subscriber>();
  private current: FeedState = 'loading';
  private loaded = false;

  constructor(
    readonly prefix: string,
    private readonly revisionOf: () => number = () => 0,
    private readonly onSubscriberError: (error: unknown) => void = () => undefined,
  ) {}

  get state(): FeedState {
    return this.current;
  }

  subscribe(sink: ZoneSink, onState: (state: FeedState) => void): () => void {
    const subscriber = { sink, onState };
    this.subscribers.add(subscriber);
    if (this.loaded) this.call(() => sink.replaceAll(this.view));
    this.call(() => onState(this.current));
    return () => void this.subscribers.delete(subscriber);
  }

  revision(): number {
    return this.revisionOf();
  }

  status(): FeedStatus {
    const { prefix, current: state, view, subscribers } = this;
    return { prefix, state, records: view.size, revision: this.revision(), subscribers: subscribers.size };
  }

  /** The driver's state, passed on every time (a repeated 'watching' makes the gateway render again). */
  setState(state: FeedState): void {
    this.current = state;
    for (const s of [...this.subscribers]) this.call(() => s.onState(state));
  }

  replaceAll(entries: Iterable<[string, string]>): void {
    this.view.clear();
    for (const [key, value] of entries) this.view.set(key, value);
    this.loaded = true;
    for (const s of [...this.subscribers]) this.call(() => s.sink.replaceAll(this.view));
  }

  put(key: string, value: string): void {
    this.view.set(key, value);
    for (const s of [...this.subscribers]) this.call(() => s.sink.put(key, value));
  }

  delete(key: string): void {
    this.view.delete(key);
    for (const s of [...this.subscribers]) this.call(() => s.sink.delete(key));
  }

  private call(f: () => void): void {
    try {
      f();
    } catch (error) {
      this.onSubscriberError(error);
    }
  }
}
