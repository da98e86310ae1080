/**
 * The page model: everything the browser receives, and nothing else. It is built field by field from host records,
 * DNS records and gateway reports (never by spreading a record), so a field added to a record elsewhere reaches the
 * browser only when it is added here. Shared by the server (src/ui) and the page (src/ui/client) as types only.
 */

/** Where the registry feed stands: loading, following changes, or showing its last view while the registry is away. */
export type FeedState = 'loading' | 'watching' | 'disconnected';

/** A gateway whose upstream `upstream` lists a service instance's announced address. */
export interface GatewayRef {
  gateway: string;
  upstream: string;
}

/** One service container of a host, as its agent reports it in the host record. */
export interface ServiceRow {
  service: string;
  /** The first 12 hex digits of the container ID, as `docker ps` shows it. */
  container: string;
  image: string;
  state: 'running' | 'restarting' | 'stopped';
  /** Docker's health status, else the agent probe's verdict; null with neither. */
  health: string | null;
  restarts: number;
  announced: boolean;
  reason: string;
  /** `IP:PORT` announced; null when not announced. */
  address: string | null;
  /** The names DNS answers with this instance: `<service>.<domain>` and `<host>.<service>.<domain>`; none unless its record is in the registry. */
  dnsNames: string[];
  /** The gateways serving this instance (its address in one of their upstreams). */
  gateways: GatewayRef[];
}

/** One host, from its agent's host record (/rundock/hosts/<host>), which exists while the agent lives. */
export interface HostCard {
  host: string;
  addresses: { public: string | null; private: string | null };
  version: string;
  startedAt: string;
  services: ServiceRow[];
}

/** A DNS record under the domain that no host record lists as a service (--announce-self, records written by others). */
export interface OtherRecord {
  /** `<service>.<domain>` */
  name: string;
  host: string;
  /** `IP:PORT`, or the record's host alone when it has no port. */
  target: string;
}

/** What one gateway reported applying (/rundock/gateways/<gateway host>). */
export interface GatewayCard {
  host: string;
  revision: number;
  appliedAt: string;
  upstreams: number;
  servers: number;
}

export interface PageModel {
  /** Without a trailing dot. */
  domain: string;
  hosts: HostCard[];
  gateways: GatewayCard[];
  otherRecords: OtherRecord[];
  /** Keys of records that could not be read (a malformed host record or gateway report, an invalid DNS record). */
  skipped: string[];
}

export type EventKind = 'announced' | 'withdrawn' | 'unhealthy' | 'restarted' | 'redeployed';

/** A change seen between two successive views, with when the server saw it (RFC 3339). */
export interface UiEvent {
  at: string;
  kind: EventKind;
  host: string;
  service: string;
  detail: string;
}

/** What the server sends on every change: the whole model (a few hosts, tens of services) and the latest events. */
export interface UiState {
  feed: FeedState;
  model: PageModel;
  /** Newest first. */
  events: UiEvent[];
}
