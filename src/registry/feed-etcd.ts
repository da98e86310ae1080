import { performance } from 'node:perf_hooks';
import type { Etcd3, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { backoffDelay } from '../shared/backoff.js';
import { abandonOn } from './etcd-abandon.js';
import { distrustStream, etcdClient } from './etcd-client.js';
import { etcdClientOptions, type EtcdConnection } from './etcd-connection.js';
import { EtcdDiagnoser } from './etcd-diagnose.js';
import { plainEtcdReason } from './etcd-message.js';
import { watchProgress, type WatchProgress } from './etcd-progress.js';
import { Condition } from '../shared/condition.js';
import type { FeedDriver, FeedState, ZoneSink } from './feed.js';

/** Deadline of each attempt of a small request (the check), ms; the etcd3 client then tries another member. */
const CHECK_TIMEOUT_MS = 1000;
/** Deadline of each attempt of the full load: 2 s, plus 1 s per 10,000 records (100k records load in under 2 s). */
const loadTimeoutMs = (records: number): number => 2000 + records / 10;
const WATCH_CREATE_TIMEOUT_MS = 3000;

export interface EtcdZoneFeedOptions extends EtcdConnection {
  /** The key prefix to load and watch: a domain's /skydns subtree (path.ts domainPrefix), or /rundock/ for the UI. */
  prefix: string;
  sink: ZoneSink;
  log: Logger;
  onState?: (state: FeedState) => void;
  /**
   * start() rejects when the first load fails on TLS or auth (EtcdAccessError): a server that cannot read the registry
   * with its settings should say so and exit rather than serve nothing. Without it (the agent's DNS), it retries.
   */
  failOnAccessError?: boolean;
  /** How often the watch is checked (ms, default 1000); see EtcdZoneFeed. 0 turns the check off. */
  checkEveryMs?: number;
}

/** What a check sees: the number of keys under the prefix and the newest mod revision among them (0: none). */
export interface PrefixSummary {
  count: number;
  newestModRevision: number;
}

/** What a check of the watch does: nothing, ask its member for progress, or compare the view with etcd. */
export type WatchCheck = 'none' | 'ask' | 'verify';

/**
 * The check at `now` of a watch last heard from (an event, a progress answer, a reconnection) at `heardAt`, whose
 * member was asked for progress at `askedAt` and has not answered since (undefined: not asked): a watch heard from
 * within the period is alive; a silent one is asked; one that leaves the question unanswered for half a period (a
 * member answers at once) is suspect, and compared with etcd at every check until it answers. Times in ms.
 */
export function watchCheck(now: number, heardAt: number, askedAt: number | undefined, everyMs: number): WatchCheck {
  if (now - heardAt < everyMs) return 'none';
  if (askedAt === undefined) return 'ask';
  return now - askedAt >= everyMs / 2 ? 'verify' : 'none';
}

/** How many checks a feed makes per period: a silent watch is asked, and a suspect one verified, within a quarter. */
const CHECKS_PER_PERIOD = 4;

/**
 * Whether a view of `view.count` keys that has followed the watch up to `view.revision` misses something etcd holds
 * (`etcd`, read after the view): a put it has not seen (a newer mod revision) or a delete (a different count).
 * Events on their way make this true for a moment; a watch that has stopped makes it stay true.
 */
export function viewBehind(view: { count: number; revision: number }, etcd: PrefixSummary): boolean {
  return etcd.newestModRevision > view.revision || etcd.count !== view.count;
}

/**
 * Keeps a ZoneSink equal to a prefix in etcd (a domain's /skydns subtree, /rundock/): loads it once, then follows a
 * watch from the next revision, so queries are answered from memory and never wait on etcd. A canceled watch
 * (compacted revision) or a failed load starts over with a full reload; while etcd is unreachable the sink keeps its
 * last view. One per prefix per process (feeds.ts), its sink the FanOutFeed every consumer follows.
 *
 * A watch on a member that stops answering (cut off from this host) stays silent, without an error, until gRPC's
 * keep-alive ping gives up on the connection (about 7 s). So a watch that has delivered nothing for a second is asked
 * for progress (etcd-progress.ts: answered by the member at once, reading no key); when the question stays unanswered
 * for half a second, the feed asks etcd (any member with a leader) for a summary of the prefix every quarter of a
 * second, and a view behind it then reloads through another connection: a change reaches the view within about half
 * a second plus a reload while some member answers (a frontend's withdrawal stays within its 3 s, issue 21). At rest
 * a feed thus sends one small message a second on its watch stream and reads no key; the summary, which etcd answers
 * by reading every key of the prefix, is read only while a watch does not answer (and at every check against an etcd
 * older than 3.4, which ignores progress requests).
 */
export class EtcdZoneFeed implements FeedDriver {
  private readonly client: Etcd3;
  private readonly prefix: string;
  private watcher: Watcher | undefined;
  private stopped = false;
  private attempts = 0;
  private currentRevision = 0;
  /** Keys in the view: the load's count, plus creations, minus deletions seen on the watch. */
  private count = 0;
  /** When the watch last delivered anything, and when its member was asked for progress without answering yet. */
  private heardAt = 0;
  private askedAt: number | undefined;
  private readonly progress: WatchProgress;
  private checkTimer: NodeJS.Timeout | undefined;
  private verifying = false;
  private readonly diagnoser: EtcdDiagnoser;
  /** Ends every call and stream of the feed on stop(), whatever the member it waits on. */
  private readonly stopping = new AbortController();
  /** etcd out of reach: one warning when it starts, one a minute, one line when it ends; readiness reads it. */
  readonly etcd: Condition;

  constructor(private readonly o: EtcdZoneFeedOptions) {
    // A zone of 100k records is a ~10 MB range reply; gRPC's default 4 MiB limit would refuse it forever.
    this.diagnoser = new EtcdDiagnoser(o);
    this.client = etcdClient({
      ...etcdClientOptions(o),
      grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
      // Per attempt: a member that does not answer costs one deadline, then etcd3 tries the next one.
      defaultCallOptions: (context) => {
        const interceptors = [abandonOn(this.stopping.signal)];
        if (context.isStream) return { interceptors };
        const small =
          'params' in context && Number((context.params as { limit?: unknown } | undefined)?.limit ?? 0) > 0;
        return { deadline: Date.now() + (small ? CHECK_TIMEOUT_MS : loadTimeoutMs(this.count)), interceptors };
      },
    });
    this.prefix = o.prefix;
    this.etcd = new Condition(o.log, 'etcd', 'answering from the last view');
    this.progress = watchProgress(this.client, () => this.heard());
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
    const every = this.o.checkEveryMs ?? 1000;
    if (every > 0) this.checkTimer = setInterval(() => this.check(every), every / CHECKS_PER_PERIOD).unref();
  }

  /**
   * Stops at once, whatever the state of etcd: every call and stream under way is cancelled, and the watch is not
   * waited on (cancelling it asks etcd, which may not answer).
   */
  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.checkTimer);
    this.stopping.abort(new Error('the zone feed stopped'));
    void this.watcher?.cancel().catch(() => undefined);
    this.watcher = undefined;
    this.client.close();
    return Promise.resolve();
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
      if (this.stopped) return undefined;
      this.o.sink.replaceAll(response.kvs.map((kv) => [kv.key.toString(), kv.value.toString()] as [string, string]));
      this.currentRevision = Number(response.header.revision);
      this.count = response.kvs.length;
      this.watcher = await this.watch(this.currentRevision + 1, WATCH_CREATE_TIMEOUT_MS);
      this.heard();
      this.attempts = 0;
      this.o.onState?.('watching');
      this.etcd.recovered();
      this.o.log.info({ records: response.kvs.length, revision: this.currentRevision }, 'zone loaded; watching');
      return undefined;
    } catch (error) {
      if (this.stopped) return undefined; // stop() cancelled it
      const access = this.diagnoser.diagnose(error);
      const delay = backoffDelay(this.attempts++, 250, 5000);
      if (access !== undefined && this.o.failOnAccessError === true && this.attempts === 1) return access;
      this.etcd.failed(access?.message ?? `zone load failed: ${plainEtcdReason(error)}`, { code: access?.code });
      this.o.onState?.('disconnected');
      setTimeout(() => void this.reload(), delay).unref();
      return access;
    }
  }

  /**
   * A watch from `fromRevision`. etcd3 runs every watch of a client on one stream: when that stream hangs on a member
   * that does not answer, a new watch never gets created; after `timeoutMs` that member is given up.
   */
  private async watch(fromRevision: number, timeoutMs: number): Promise<Watcher> {
    const creating = this.client.watch().prefix(this.prefix).startRevision(String(fromRevision)).create();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`watch not created within ${timeoutMs} ms`)), timeoutMs);
    });
    const watcher = await Promise.race([creating, timedOut])
      .catch((error: unknown) => {
        void creating.then((late) => late.cancel()).catch(() => undefined);
        distrustStream(this.client, 'Watch');
        throw error;
      })
      .finally(() => clearTimeout(timer));
    // Every response for this watcher: events, and etcd's own progress notifications.
    watcher.on('data', () => this.heard());
    watcher.on('put', (kv) => {
      this.o.sink.put(kv.key.toString(), kv.value.toString());
      this.currentRevision = Number(kv.mod_revision);
      if (kv.version === '1') this.count++;
      this.o.log.debug({ key: kv.key.toString(), revision: this.currentRevision, lease: kv.lease }, 'record put');
    });
    watcher.on('delete', (kv) => {
      this.o.sink.delete(kv.key.toString());
      this.currentRevision = Math.max(this.currentRevision, Number(kv.mod_revision));
      this.count--;
      this.o.log.debug({ key: kv.key.toString(), revision: this.currentRevision }, 'record deleted');
    });
    watcher.on('disconnected', (error: unknown) => {
      if (this.stopped) return;
      this.etcd.failed(`watch disconnected: ${plainEtcdReason(error)}`);
      this.o.onState?.('disconnected');
    });
    watcher.on('connected', () => {
      this.heard();
      this.etcd.recovered({ revision: this.currentRevision });
      this.o.onState?.('watching');
    });
    watcher.on('error', (error) => {
      if (this.watcher !== watcher) return;
      this.o.log.warn({ err: error }, 'watch canceled (compacted revision?); reloading the zone');
      void this.reload();
    });
    return watcher;
  }

  /** The watch delivered something (or was just created): it is alive, and any question to it answered. */
  private heard(): void {
    this.heardAt = performance.now();
    this.askedAt = undefined;
  }

  /** Once a period (see watchCheck): asks a silent watch for progress; verifies one that does not answer. */
  private check(everyMs: number): void {
    if (this.stopped || this.watcher === undefined) return;
    const now = performance.now();
    const action = watchCheck(now, this.heardAt, this.askedAt, everyMs);
    if (action === 'ask') {
      this.askedAt = now;
      // No stream open (etcd3 reconnecting): left unanswered, as by a member that does not answer.
      this.progress.request();
    } else if (action === 'verify') void this.verify();
  }

  /** Compares the view with a summary read from etcd; reloads through another member when it is behind. */
  private async verify(): Promise<void> {
    if (this.verifying || this.stopped || this.watcher === undefined) return;
    this.verifying = true;
    try {
      const response = await this.client.getAll().prefix(this.prefix).sort('Mod', 'Descend').limit(1).exec();
      this.compare({ count: Number(response.count), newestModRevision: Number(response.kvs[0]?.mod_revision ?? 0) });
      this.etcd.recovered();
    } catch (error) {
      // etcd unreachable: the watch's own reconnects recover the view; this counts the outage
      if (!this.stopped) this.etcd.failed(plainEtcdReason(error));
    } finally {
      this.verifying = false;
    }
  }

  /** The watch left a progress request unanswered: a view behind etcd means it stopped delivering. */
  private compare(summary: PrefixSummary): void {
    if (this.stopped || this.watcher === undefined || this.askedAt === undefined) return;
    const view = { count: this.count, revision: this.currentRevision };
    if (!viewBehind(view, summary)) return;
    const member = distrustStream(this.client, 'Watch');
    this.o.log.warn(
      { view, etcd: summary, member },
      'the watch stopped answering and fell behind etcd; reloading through another member',
    );
    this.o.onState?.('disconnected');
    void this.reload();
  }
}
