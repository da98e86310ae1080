/** The gateway's Prometheus metrics (documented in docs/gateway.md), on a registry of their own unless one is given. */
import { Counter, Gauge, Registry } from 'prom-client';

/** Where the registry feed stands, as `rundock_gateway_watch_state` reports it. */
export const GATEWAY_WATCH_STATE = { loading: 0, watching: 1, disconnected: 2 } as const;

/** Every gateway metric; names follow rundock_gateway_<what>_<unit|total>. */
export class GatewayMetrics {
  readonly registry: Registry;
  /** Renders by outcome: `changed` (new text), `unchanged` (same text, nothing done), `error` (template failed). */
  readonly renders: Counter<'outcome'>;
  /** Applies of new text by outcome: `ok`, `invalid` (nginx -t failed), `reload_failed`, `error` (file or nginx unusable). */
  readonly reloads: Counter<'outcome'>;
  readonly validationFailures: Counter;
  readonly upstreams: Gauge;
  readonly servers: Gauge;
  readonly recordsSkipped: Gauge<'reason'>;
  readonly lastReloadSeconds: Gauge;
  readonly lastReloadTimestamp: Gauge;
  readonly watchState: Gauge;
  /** When the certificate each hostname is served with over HTTPS expires (Unix time). */
  readonly certificateExpiry: Gauge<'hostname'>;
  /** ACME orders this gateway ran, by outcome (`ok`, `failed`). */
  readonly acmeOrders: Counter<'outcome'>;
  /** 1 while the last order of a hostname failed (it retries with backoff), else 0. */
  readonly acmeFailing: Gauge<'hostname'>;
  /** Routes more than one service claims (one serves it). */
  readonly routeConflicts: Gauge;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.renders = new Counter({
      name: 'rundock_gateway_renders_total',
      help: 'Renders of the nginx file, by outcome (changed, unchanged, error)',
      labelNames: ['outcome'],
      registers,
    });
    this.reloads = new Counter({
      name: 'rundock_gateway_reloads_total',
      help: 'Attempts to apply new nginx text, by outcome (ok, invalid, reload_failed, error)',
      labelNames: ['outcome'],
      registers,
    });
    this.validationFailures = new Counter({
      name: 'rundock_gateway_validation_failures_total',
      help: 'Rendered files refused by nginx -t (the previous file stayed)',
      registers,
    });
    this.upstreams = new Gauge({
      name: 'rundock_gateway_upstreams',
      help: 'Upstreams in the last rendered text',
      registers,
    });
    this.servers = new Gauge({
      name: 'rundock_gateway_upstream_servers',
      help: 'Announced instances (servers) in the last rendered text',
      registers,
    });
    this.recordsSkipped = new Gauge({
      name: 'rundock_gateway_records_skipped',
      help: 'Records under the domain left out of the upstreams, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.lastReloadSeconds = new Gauge({
      name: 'rundock_gateway_last_reload_duration_seconds',
      help: 'Render, nginx -t and reload of the last successful apply, seconds',
      registers,
    });
    this.lastReloadTimestamp = new Gauge({
      name: 'rundock_gateway_last_reload_timestamp_seconds',
      help: 'When nginx last reloaded a new config from the gateway (Unix time)',
      registers,
    });
    this.watchState = new Gauge({
      name: 'rundock_gateway_watch_state',
      help: 'Registry feed state: 0 loading, 1 watching, 2 disconnected (keeping the last config)',
      registers,
    });
    this.certificateExpiry = new Gauge({
      name: 'rundock_gateway_certificate_expiry_seconds',
      help: 'When the certificate a hostname is served with over HTTPS expires (Unix time)',
      labelNames: ['hostname'],
      registers,
    });
    this.acmeOrders = new Counter({
      name: 'rundock_gateway_acme_orders_total',
      help: 'ACME certificate orders this gateway ran, by outcome (ok, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.acmeFailing = new Gauge({
      name: 'rundock_gateway_acme_order_failing',
      help: "1 while a hostname's last certificate order failed (retried with backoff)",
      labelNames: ['hostname'],
      registers,
    });
    this.routeConflicts = new Gauge({
      name: 'rundock_gateway_route_conflicts',
      help: 'Routes claimed by more than one service (one of them serves it)',
      registers,
    });
    for (const outcome of ['ok', 'failed']) this.acmeOrders.inc({ outcome }, 0);
    for (const outcome of ['changed', 'unchanged', 'error']) this.renders.inc({ outcome }, 0);
    for (const outcome of ['ok', 'invalid', 'reload_failed', 'error']) this.reloads.inc({ outcome }, 0);
    for (const reason of ['invalid', 'text_only', 'no_port', 'host_name', 'not_a_service_key'])
      this.recordsSkipped.labels(reason).set(0);
  }
}
