/**
 * `rundock gateway`, also runnable inside the agent: follows the domain's records, renders nginx upstreams (and
 * routes) from them, and applies each new text through `nginx -t` and a graceful reload. Renders only from a
 * complete view (the feed's load finished and it is watching); while the registry is away, nginx keeps the last
 * good config.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { FeedProvider, FeedState, RecordFeed } from '../registry/feed.js';
import { domainPrefix } from '../registry/path.js';
import { feedNotReady } from '../registry/feed-readiness.js';
import type { ServingReport } from '../registry/serving-report.js';
import { backoffDelay } from '../shared/backoff.js';
import { ValidationError } from '../shared/errors.js';
import { ConfigApplier } from './apply.js';
import { ConfigFile } from './config-file.js';
import { DEFAULT_DEBOUNCE, Debouncer, type DebounceOptions } from './debounce.js';
import { GATEWAY_WATCH_STATE, GatewayMetrics } from './metrics.js';
import { NginxControl, type NginxOptions } from './nginx.js';
import type { RenderOptions } from './options.js';
import { memoizedUpstreamText, planUpstreams, type UpstreamPlan } from './render.js';
import { GatewayReport, type ReportStatus } from './report.js';
import { ServingLists } from './serving.js';
import { RecordView } from './source.js';
import { renderConfig } from './template-context.js';
import { compileTemplate, type Template } from './template.js';

/** What startGateway needs; the CLI builds it from flags, the agent from its own settings. */
export interface GatewayOptions {
  readonly domain: string;
  /** The process's record feeds (registry/feeds.ts): the gateway follows the domain's, shared with others. */
  readonly feeds: FeedProvider;
  /** The rendered file (include it in nginx's `http {}`); staging files are written beside it. */
  readonly file: string;
  readonly render: RenderOptions;
  /** A template file instead of the default text; read again at every render, so edits apply on the next change. */
  readonly templateFile?: string | undefined;
  readonly nginx: NginxOptions;
  readonly debounce?: DebounceOptions | undefined;
  /** Registers the gateway's metrics here (e.g. the agent's registry); default: a registry of its own. */
  readonly metricsRegistry?: MetricsRegistry | undefined;
  /**
   * Where the gateway reports what its nginx serves after each reload (the registry key of `host`'s report, see
   * registry/serving-report.ts), so that a redeploy can wait for every gateway. Without it, nothing is reported.
   */
  readonly serving?: { readonly host: string; publish(report: ServingReport): void } | undefined;
  readonly log: Logger;
}

/** What `/status` shows. */
export interface GatewayStatus extends ReportStatus {
  readonly domain: string;
  readonly file: string;
  readonly feed: FeedState;
  /** Records under the domain in the gateway's view. */
  readonly records: number;
  /** The file on disk passed nginx -t but nginx was not seen to reload it yet. */
  readonly reloadPending: boolean;
}

/** A running gateway. */
export interface Gateway {
  readonly metrics: GatewayMetrics;
  status(): GatewayStatus;
  /** Why it cannot keep nginx in step with the registry now (GET /readyz); empty when it can. */
  notReady(): string[];
  /** Renders again soon even without a registry change (e.g. on SIGHUP, after fixing nginx or the template). */
  refresh(): void;
  /** Resolves once no change waits and no render runs (tests, benchmarks). */
  idle(): Promise<void>;
  /**
   * Stops following the registry and waits for a render under way; when `signal` aborts, that render's nginx is
   * killed (the file it was installing is put back as it was) and the wait ends.
   */
  stop(signal?: AbortSignal): Promise<void>;
}

/** Starts the gateway; throws a ValidationError (nothing started) for an unusable directory or template. */
export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  await access(dirname(o.file), constants.W_OK).catch((error: unknown) => {
    throw new ValidationError(
      'nginx-conf-dir',
      dirname(o.file),
      `must be a writable directory (${error instanceof Error ? error.message : String(error)})`,
      'RUNDOCK_E_CONFIG',
    );
  });
  if (o.templateFile !== undefined)
    await loadTemplate(o.templateFile).catch((error: unknown) => {
      throw new ValidationError(
        'template',
        o.templateFile,
        error instanceof Error ? error.message : String(error),
        'RUNDOCK_E_CONFIG',
      );
    });
  const runner = new GatewayRunner(o);
  await runner.start();
  return runner;
}

async function loadTemplate(path: string): Promise<Template> {
  return compileTemplate(await readFile(path, 'utf8'));
}

class GatewayRunner implements Gateway {
  readonly metrics: GatewayMetrics;
  private readonly file: ConfigFile;
  private readonly applier: ConfigApplier;
  private readonly view: RecordView;
  /** Each upstream's text, rendered again only when its service's instances changed. */
  private readonly upstreamText = memoizedUpstreamText();
  private readonly debouncer: Debouncer;
  private feed: FeedState = 'loading';
  private following: { feed: RecordFeed; unsubscribe: () => void } | undefined;
  /** The services and servers last reported (serving): a report is published only when they change. */
  private readonly serving = new ServingLists();
  /** Services of the last applied text: they stay (as placeholders) while hand-written config may reference them. */
  private kept: string[] = [];
  private readonly report: GatewayReport;
  private retries = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Aborted when a stop's time is up: an nginx -t or reload under way is killed, and the previous file stays. */
  private readonly stopping = new AbortController();

  constructor(private readonly o: GatewayOptions) {
    this.view = new RecordView(o.domain, () => this.debouncer.trigger());
    this.metrics = new GatewayMetrics(o.metricsRegistry);
    this.report = new GatewayReport(this.metrics, o.log, o.file);
    this.file = new ConfigFile(o.file);
    this.applier = new ConfigApplier(this.file, new NginxControl(o.nginx, this.stopping.signal));
    this.debouncer = new Debouncer(
      () => this.renderAndApply(),
      (error) => o.log.error({ err: error }, 'render failed unexpectedly'),
      o.debounce ?? DEFAULT_DEBOUNCE,
    );
  }

  async start(): Promise<void> {
    if (await this.file.recover())
      this.o.log.warn({ file: this.o.file }, 'an interrupted install was undone: the previous file is back');
    const feed = await this.o.feeds.feed(domainPrefix(this.o.domain));
    this.following = { feed, unsubscribe: feed.subscribe(this.view, (state) => this.onFeedState(state)) };
  }

  status(): GatewayStatus {
    const { domain, file } = this.o;
    return {
      domain,
      file,
      feed: this.feed,
      records: this.view.size,
      ...this.report.status(),
      reloadPending: this.applier.reloadPending,
    };
  }

  notReady(): string[] {
    const nginx = this.report.nginx.notReady();
    const invalid = this.report.status().lastResult?.outcome === 'invalid' ? ['nginx -t refused the last render'] : [];
    return [...feedNotReady(this.feed), ...(nginx === undefined ? [] : [nginx]), ...invalid];
  }

  refresh(): void {
    this.debouncer.trigger();
  }

  idle(): Promise<void> {
    return this.debouncer.idle();
  }

  async stop(signal?: AbortSignal): Promise<void> {
    clearTimeout(this.retryTimer);
    this.following?.unsubscribe();
    const giveUp = (): void => this.stopping.abort(signal?.reason);
    if (signal?.aborted === true) giveUp();
    else signal?.addEventListener('abort', giveUp, { once: true });
    await this.debouncer.stop(signal);
    signal?.removeEventListener('abort', giveUp);
  }

  private onFeedState(state: FeedState): void {
    this.feed = state;
    this.metrics.watchState.set(GATEWAY_WATCH_STATE[state]);
    if (state === 'watching') this.debouncer.trigger();
  }

  /** One debounced run: snapshot, render, apply, account. */
  private async renderAndApply(): Promise<void> {
    if (this.feed !== 'watching') return; // never from a partial view; 'watching' triggers a run
    const started = performance.now();
    const snapshot = this.view.snapshot();
    this.report.skipped(this.view.skipped());
    const plans = planUpstreams(snapshot, this.o.render, this.kept);
    let text: string;
    try {
      const template = this.o.templateFile === undefined ? undefined : await loadTemplate(this.o.templateFile);
      text = renderConfig(snapshot, this.o.render, this.kept, template, this.upstreamText);
    } catch (error) {
      this.report.renderFailed(error, this.o.templateFile);
      return;
    }
    const renderMs = performance.now() - started;
    const result = await this.applier.apply(text);
    // The file on disk now names these upstreams; hand-written config may reference them from here on.
    if (result.outcome === 'reloaded' || result.outcome === 'reload_failed') this.kept = plans.map((p) => p.service);
    this.report.applied(result, plans, { renderMs, elapsedMs: performance.now() - started });
    if (result.outcome === 'reloaded' || result.outcome === 'unchanged') this.publishServing(plans);
    if (result.outcome === 'reloaded') this.retries = 0;
    if (result.outcome === 'reload_failed') this.scheduleRetry();
  }

  /** Reports the servers nginx now has for each rendered service, when they differ from the last report. */
  private publishServing(plans: readonly UpstreamPlan[]): void {
    if (this.o.serving === undefined) return;
    const services = this.serving.changed(plans);
    if (services === undefined) return;
    const applied_at = new Date().toISOString();
    this.o.serving.publish({
      host: this.o.serving.host,
      revision: this.following?.feed.revision() ?? 0,
      applied_at,
      services,
    });
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.debouncer.trigger(), backoffDelay(this.retries++, 1000, 30_000));
    this.retryTimer.unref();
  }
}
