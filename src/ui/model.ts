/**
 * The page model: everything the browser receives, and nothing else. It is built field by field from host records,
 * DNS records and gateway reports (never by spreading a record), so a field added to a record elsewhere reaches the
 * browser only when it is added here. Shared by the server (src/ui) and the page (src/ui/client) as types only.
 */

/** Where the registry feed stands: loading, following changes, or showing its last view while the registry is away. */
export type FeedState = 'loading' | 'watching' | 'disconnected';

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
  /** The new container of an overlapping redeploy, announced beside the service's current one until it takes over. */
  successor: boolean;
  announced: boolean;
  reason: string;
  /** `IP:PORT` announced; null when not announced. */
  address: string | null;
  /**
   * The names DNS answers with this instance while its record is in the registry: `<service>.<domain>` and
   * `<host>.<service>.<domain>` (a redeploy's successor also `<container>.<host>.<service>.<domain>`); else none.
   */
  dnsNames: string[];
  /** The gateways whose report lists this instance's address among the service's servers (what their nginx serves). */
  gateways: string[];
  /** Its public routes, `HOST[/PATH]`. */
  routes: string[];
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

/** What one gateway reported its nginx serves (/rundock/gateways/<gateway host>). */
export interface GatewayCard {
  host: string;
  /** The registry revision of the records it rendered. */
  revision: number;
  /** When nginx was reloaded with them. */
  appliedAt: string;
  services: number;
  servers: number;
  /** Each routed hostname's certificate as this gateway serves it. */
  certificates: CertificateRow[];
}

/** A routed hostname's certificate on one gateway (never a key). */
export interface CertificateRow {
  hostname: string;
  /** `acme`, `brought`, or `none` (plain HTTP). */
  source: string;
  /** `valid`, `ordering`, `waiting`, `due`, `failed`, `brought`, `needs a brought certificate`, `none`. */
  state: string;
  serial: string | null;
  /** When it expires (RFC 3339); null without one. */
  notAfter: string | null;
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
