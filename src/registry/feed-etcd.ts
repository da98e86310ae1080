import type { Etcd3, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { domainPrefix } from './path.js';
import { backoffDelay } from '../shared/backoff.js';
import { etcdClient } from './etcd-client.js';
import { etcdClientOptions, type EtcdConnection } from './etcd-connection.js';
import { EtcdDiagnoser } from './etcd-diagnose.js';

/** Where a feed stands: loading the subtree, following changes, or serving its last view while etcd is away. */
export type FeedState = 'loading' | 'watching' | 'disconnected';

/** What a feed writes into: an in-memory view of the records (the DNS server's zone index, the gateway's upstreams). */
export interface ZoneSink {
  replaceAll(entries: Iterable<[string, string]>): void;
  put(key: string, value: string): void;
  delete(key: string): void;
}

export interface EtcdZoneFeedOptions extends EtcdConnection {
  domain: string;
  sink: ZoneSink;
  log: Logger;
  onState?: (state: FeedState) => void;
  /**
   * start() rejects when the first load fails on TLS or auth (EtcdAccessError): a server that cannot read the registry
   * with its settings should say so and exit rather than serve nothing. Without it (the agent's DNS), it retries.
   */
  failOnAccessError?: boolean;
}

/**
 * Keeps a ZoneSink equal to the domain's /skydns subtree in etcd: loads it once, then follows a watch from the next
 * revision, so queries are answered from memory and never wait on etcd. A canceled watch (compacted revision) or a
 * failed load starts over with a full reload; while etcd is unreachable the sink keeps its last view.
 */
export class EtcdZoneFeed {
  private readonly client: Etcd3;
  private readonly prefix: string;
  private watcher: Watcher | undefined;
  private stopped = false;
  private attempts = 0;
  private currentRevision = 0;
  private readonly diagnoser: EtcdDiagnoser;

  constructor(private readonly o: EtcdZoneFeedOptions) {
    // A zone of 100k records is a ~10 MB range reply; gRPC's default 4 MiB limit would refuse it forever.
    this.diagnoser = new EtcdDiagnoser(o);
    this.client = etcdClient({ ...etcdClientOptions(o), grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 } });
    this.prefix = domainPrefix(o.domain);
  }

  /** The etcd revision the view reflects (the SOA serial). */
  revision(): number {
    return this.currentRevision;
  }

  /** Loads and starts watching; if etcd is unreachable, resolves anyway and keeps trying in the background. */
  async start(): Promise<void> {
    const access = await this.reload();
    if (access !== undefined && this.o.failOnAccessError === true) {
      await this.stop();
      throw access;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watcher?.cancel().catch(() => undefined);
    this.client.close();
  }

  /** Loads the subtree and watches from there; on failure schedules another reload, returns a TLS/auth diagnosis. */
  private async reload(): Promise<Error | undefined> {
    if (this.stopped) return undefined;
    this.o.onState?.('loading');
    try {
      // Not awaited: cancelling a watcher etcd already canceled (compaction) never settles in etcd3.
      const previous = this.watcher;
      this.watcher = undefined;
      void previous?.cancel().catch(() => undefined);
      const response = await this.client.getAll().prefix(this.prefix).exec();
      this.o.sink.replaceAll(response.kvs.map((kv) => [kv.key.toString(), kv.value.toString()] as [string, string]));
      this.currentRevision = Number(response.header.revision);
      this.watcher = await this.watch(this.currentRevision + 1);
      this.attempts = 0;
      this.o.onState?.('watching');
      this.o.log.info({ records: response.kvs.length, revision: this.currentRevision }, 'zone loaded; watching');
      return undefined;
    } catch (error) {
      const access = this.diagnoser.diagnose(error);
      const delay = backoffDelay(this.attempts++, 250, 5000);
      if (access !== undefined && this.o.failOnAccessError === true && this.attempts === 1) return access;
      this.o.log.warn({ err: access ?? error, code: access?.code, retry_in_ms: delay }, `zone load failed; answering from the last view${access ? `: ${access.message}` : ''}`);
      this.o.onState?.('disconnected');
      setTimeout(() => void this.reload(), delay).unref();
      return access;
    }
  }

  private async watch(fromRevision: number): Promise<Watcher> {
    const watcher = await this.client.watch().prefix(this.prefix).startRevision(String(fromRevision)).create();
    watcher.on('put', (kv) => {
      this.o.sink.put(kv.key.toString(), kv.value.toString());
      this.currentRevision = Number(kv.mod_revision);
    });
    watcher.on('delete', (kv) => {
      this.o.sink.delete(kv.key.toString());
      this.currentRevision = Math.max(this.currentRevision, Number(kv.mod_revision));
    });
    watcher.on('disconnected', () => this.o.onState?.('disconnected'));
    watcher.on('connected', () => this.o.onState?.('watching'));
    watcher.on('error', (error) => {
      if (this.watcher !== watcher) return;
      this.o.log.warn({ err: error }, 'watch canceled (compacted revision?); reloading the zone');
      void this.reload();
    });
    return watcher;
  }
}
