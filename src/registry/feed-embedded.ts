import type { EmbeddedRegistry } from './embedded.js';
import type { FeedDriver, FeedState, ZoneSink } from './feed.js';

/**
 * Keeps a ZoneSink equal to one prefix of the agent's own embedded registry (a single machine, no etcd): the records
 * under it at start, then all of them again at every change (the embedded registry only says that something changed).
 */
export class EmbeddedFeed implements FeedDriver {
  /** A change counter: the SOA serial of a zone served from the embedded registry. */
  private serial = 1;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly registry: EmbeddedRegistry,
    private readonly prefix: string,
    private readonly sink: ZoneSink,
    private readonly onState: (state: FeedState) => void,
  ) {}

  async start(): Promise<void> {
    const inPrefix = (records: ReadonlyMap<string, string>): [string, string][] =>
      [...records].filter(([key]) => key.startsWith(this.prefix));
    this.sink.replaceAll(inPrefix(await this.registry.list(this.prefix)));
    this.unsubscribe = this.registry.onChange((records) => {
      this.sink.replaceAll(inPrefix(records));
      this.serial++;
    });
    this.onState('watching');
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  revision(): number {
    return this.serial;
  }
}
