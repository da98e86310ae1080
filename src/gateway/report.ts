/**
 * What the gateway tells about itself: metrics, the status fields of /status and logs, for each render and apply.
 * Skipped records are logged once each, not at every render.
 */
import type { Logger } from 'pino';
import { Condition } from '../shared/condition.js';
import { messageOf } from '../shared/errors.js';
import type { ApplyResult } from './apply.js';
import type { GatewayMetrics } from './metrics.js';
import type { UpstreamPlan } from './upstream-plan.js';
import type { SkippedRecord } from './snapshot.js';

/** The status fields the report keeps. */
export interface ReportStatus {
  readonly upstreams: number;
  readonly servers: number;
  readonly skipped: number;
  readonly lastResult?: { readonly outcome: string; readonly at: string; readonly error?: string };
  readonly lastReload?: { readonly at: string; readonly durationMs: number };
}

const SKIP_REASONS = ['invalid', 'text_only', 'no_port', 'host_name', 'not_a_service_key'] as const;

/** Accounts for renders and applies. */
export class GatewayReport {
  private current: ReportStatus = { upstreams: 0, servers: 0, skipped: 0 };
  private skippedLogged = new Map<string, string>();
  /** nginx not running, its pid file empty, its binary missing: one outage in the log, not a line per retry. */
  readonly nginx: Condition;

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    private readonly file: string,
  ) {
    this.nginx = new Condition(log, 'nginx', 'the rendered file waits on disk and the reload is retried');
  }

  status(): ReportStatus {
    return this.current;
  }

  /** The records left out of this render: gauges by reason, a warning for each one not reported yet. */
  skipped(list: readonly SkippedRecord[]): void {
    const byReason = new Map<string, number>(SKIP_REASONS.map((r) => [r, 0]));
    const now = new Map<string, string>();
    for (const s of list) {
      byReason.set(s.reason, (byReason.get(s.reason) ?? 0) + 1);
      now.set(s.key, s.detail);
      // A TXT record is a record like any other, only not one for nginx: worth a note, not a warning.
      const level = s.reason === 'text_only' ? 'info' : 'warn';
      if (this.skippedLogged.get(s.key) !== s.detail)
        this.log[level]({ key: s.key, reason: s.reason, detail: s.detail }, 'record left out of the upstreams');
    }
    this.skippedLogged = now;
    for (const [reason, count] of byReason) this.metrics.recordsSkipped.set({ reason }, count);
    this.current = { ...this.current, skipped: list.length };
  }

  /** The template could not be read or rendered: nothing was written. */
  renderFailed(error: unknown, template: string | undefined): void {
    this.metrics.renders.inc({ outcome: 'error' });
    this.remember('render_error', error);
    this.log.error({ err: error, template }, 'render failed; nginx keeps the last good config');
  }

  /**
   * One apply of rendered text: `plans` what was rendered; `renderMs` the render (records to text), `elapsedMs` the
   * whole run since the render started.
   */
  applied(result: ApplyResult, plans: readonly UpstreamPlan[], times: { renderMs: number; elapsedMs: number }): void {
    this.metrics.renders.inc({ outcome: result.outcome === 'unchanged' ? 'unchanged' : 'changed' });
    if (result.outcome === 'unchanged') return;
    if (result.outcome === 'reloaded') return this.reloaded(result, plans, times);
    this.metrics.reloads.inc({ outcome: result.outcome });
    if (result.outcome === 'invalid') {
      this.metrics.validationFailures.inc();
      this.remember('invalid', result.output);
      this.log.error(
        { nginx: result.output, file: this.file },
        'nginx -t refused the new config; the previous file stays, the next change tries again',
      );
      return;
    }
    this.remember(result.outcome, result.error);
    const what = result.outcome === 'error' ? 'cannot install the config or run nginx -t' : 'reload failed';
    this.nginx.failed(`${what}: ${messageOf(result.error)}`, {
      file: this.file,
    });
  }

  private reloaded(
    result: Extract<ApplyResult, { outcome: 'reloaded' }>,
    plans: readonly UpstreamPlan[],
    { renderMs, elapsedMs }: { renderMs: number; elapsedMs: number },
  ): void {
    const upstreams = plans.length;
    const servers = plans.reduce((n, p) => n + p.instances.length, 0);
    this.metrics.reloads.inc({ outcome: 'ok' });
    this.metrics.upstreams.set(upstreams);
    this.metrics.servers.set(servers);
    this.metrics.lastReloadSeconds.set(elapsedMs / 1000);
    this.metrics.lastReloadTimestamp.set(Date.now() / 1000);
    this.current = {
      ...this.current,
      upstreams,
      servers,
      lastReload: { at: new Date().toISOString(), durationMs: Math.round(elapsedMs) },
    };
    this.remember('reloaded');
    this.nginx.recovered();
    this.log.info(
      {
        upstreams,
        servers,
        render_ms: Math.round(renderMs),
        test_ms: Math.round(result.testMs),
        reload_ms: Math.round(result.reloadMs),
        confirmed: result.confirmed,
      },
      'nginx reloaded',
    );
  }

  private remember(outcome: string, error?: unknown): void {
    const at = new Date().toISOString();
    const lastResult = error === undefined ? { outcome, at } : { outcome, at, error: messageOf(error) };
    this.current = { ...this.current, lastResult };
  }
}
