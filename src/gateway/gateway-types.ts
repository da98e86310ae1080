/** The gateway's interface: what starts it, what it shows, what it does (gateway.ts implements it). */
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { FeedProvider, FeedState } from '../registry/feed.js';
import type { ServingReport } from '../registry/serving-report.js';
import type { DebounceOptions } from './debounce.js';
import type { GatewayMetrics } from './metrics.js';
import type { NginxOptions } from './nginx.js';
import type { RenderOptions } from './options.js';
import type { ReportStatus } from './report.js';
import type { RouteConflict } from './route-table.js';
import type { CertificateStatus, TlsOptions } from './tls.js';

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
  /** HTTPS: certificates brought by the operator, automatic ones (ACME); without it, routes are plain HTTP. */
  readonly tls?: TlsOptions | undefined;
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
  /** Routed hostnames, each with its certificate (or none: plain HTTP). */
  readonly certificates: readonly CertificateStatus[];
  /** Routes more than one service claims, and which one serves each. */
  readonly conflicts: readonly RouteConflict[];
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
