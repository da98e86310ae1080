/**
 * `rundock gateway`, also runnable inside the agent: follows the domain's records, renders nginx upstreams (and
 * routes) from them, and applies each new text through `nginx -t` and a graceful reload. Renders only from a
 * complete view (the feed's load finished and it is watching); while the registry is away, nginx keeps the last
 * good config.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FeedState, RecordFeed } from '../registry/feed.js';
import { domainPrefix } from '../registry/path.js';
import { feedNotReady } from '../registry/feed-readiness.js';
import { backoffDelay } from '../shared/backoff.js';
import { ValidationError } from '../shared/errors.js';
import { ConfigApplier } from './apply.js';
import { ConfigFile } from './config-file.js';
import { DEFAULT_DEBOUNCE, Debouncer } from './debounce.js';
import type { Gateway, GatewayOptions, GatewayStatus } from './gateway-types.js';
import { GATEWAY_WATCH_STATE, GatewayMetrics } from './metrics.js';
import { NginxControl } from './nginx.js';
import { memoizedUpstreamText } from './render.js';
import { planUpstreams, type UpstreamPlan } from './upstream-plan.js';
import { GatewayReport } from './report.js';
import { ServingLists } from './serving.js';
import { RecordView } from './source.js';
import { renderConfig } from './template-context.js';
import { RouteSource } from './route-source.js';
import { GatewayTls } from './tls.js';
import { compileTemplate, type Template } from './template.js';

export type { Gateway, GatewayOptions, GatewayStatus } from './gateway-types.js';

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
  private readonly routes: RouteSource;
  /** Each upstream's text, rendered again only when its service's instances changed. */
  private readonly upstreamText = memoizedUpstreamText();
  private readonly debouncer: Debouncer;
  private readonly tls: GatewayTls;
  private feed: FeedState = 'loading';
  private following: { feed: RecordFeed; unsubscribe: () => void } | undefined;
  /** The services and servers last reported (serving): a report is published only when they change. */
  private readonly serving = new ServingLists();
  /** The certificates last reported, as text. */
  private reportedCertificates: string | undefined;
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
    const render = (): void => this.debouncer.trigger();
    this.routes = new RouteSource(render, o.log, this.metrics);
    this.tls = new GatewayTls(
      o.tls ?? { certificates: [], directory: join(dirname(o.file), 'certs') },
      this.metrics,
      o.log,
      render,
    );
  }

  async start(): Promise<void> {
    if (await this.file.recover())
      this.o.log.warn({ file: this.o.file }, 'an interrupted install was undone: the previous file is back');
    await this.tls.start();
    await this.routes.follow(this.o.feeds);
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
      certificates: this.tls.status(),
      conflicts: this.routes.conflicts,
    };
  }

  notReady(): string[] {
    const nginx = this.report.nginx.notReady();
    const invalid = this.report.status().lastResult?.outcome === 'invalid' ? ['nginx -t refused the last render'] : [];
    const routes = feedNotReady(this.routes.state).map((r) => `routes ${r}`);
    return [
      ...feedNotReady(this.feed),
      ...routes,
      ...(nginx === undefined ? [] : [nginx]),
      ...invalid,
      ...this.tls.notReady(),
    ];
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
    this.routes.stop();
    await this.tls.stop();
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
    // Never from a partial view; 'watching' triggers a run.
    if (this.feed !== 'watching' || this.routes.state !== 'watching') return;
    const started = performance.now();
    const snapshot = this.view.snapshot();
    this.report.skipped(this.view.skipped());
    const table = this.routes.table(this.o.render);
    const plans = planUpstreams(snapshot, this.o.render, [...this.kept, ...table.services]);
    let text: string;
    try {
      const template = this.o.templateFile === undefined ? undefined : await loadTemplate(this.o.templateFile);
      const { https, challengePort } = this.tls;
      const servers = { table, certificates: await this.tls.prepare(table), https, challengePort };
      text = renderConfig(snapshot, this.o.render, this.kept, template, servers, this.upstreamText);
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
    if (result.outcome === 'reloaded' || result.outcome === 'unchanged') await this.tls.served();
    if (result.outcome === 'reloaded') this.retries = 0;
    if (result.outcome === 'reload_failed') this.scheduleRetry();
  }

  /** Reports the servers nginx now has for each rendered service (and each hostname's certificate), when they changed. */
  private publishServing(plans: readonly UpstreamPlan[]): void {
    if (this.o.serving === undefined) return;
    const certificates = this.tls.status().map(({ hostname, source, state, serial, not_after }) => ({
      hostname,
      source,
      state,
      ...(serial !== undefined && { serial }),
      ...(not_after !== undefined && { not_after }),
    }));
    const certificatesText = JSON.stringify(certificates);
    const certificatesChanged = certificatesText !== this.reportedCertificates;
    const services = this.serving.changed(plans) ?? (certificatesChanged ? this.serving.serversOf(plans) : undefined);
    if (services === undefined) return;
    this.reportedCertificates = certificatesText;
    const applied_at = new Date().toISOString();
    const revision = this.following?.feed.revision() ?? 0;
    this.o.serving.publish({ host: this.o.serving.host, revision, applied_at, services, certificates });
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.debouncer.trigger(), backoffDelay(this.retries++, 1000, 30_000));
    this.retryTimer.unref();
  }
}
