/**
 * What the gateway renders besides the registry's data: upstream names, per-service nginx settings, routes, listen
 * addresses and the resolve mode. Everything that ends up in nginx text is checked here, once, against a strict
 * pattern: no value can carry `;`, `{`, quotes or whitespace into the config.
 */
import { isIP } from 'node:net';
import { checkLabel, domainLabels } from '../registry/path.js';
import { ValidationError } from '../shared/errors.js';
import { formatRoute, parseRoute } from '../shared/route-address.js';

/** nginx's load-balancing method of an upstream. */
export type Balance =
  | { readonly method: 'round_robin' | 'least_conn' | 'ip_hash' | 'random' }
  | { readonly method: 'hash'; readonly key: string; readonly consistent: boolean };

/** nginx settings of one upstream; unset optional ones are left to nginx's defaults. */
export interface UpstreamSettings {
  readonly balance: Balance;
  /** Idle keep-alive connections to the servers cached per worker; 0 renders no `keepalive`. */
  readonly keepalive: number;
  readonly keepaliveTimeout?: string;
  readonly keepaliveRequests?: number;
  /** Per server: failed attempts within fail_timeout before nginx skips it. */
  readonly maxFails?: number;
  readonly failTimeout?: string;
}

/** `server_name HOSTNAME`, `location PATH`, proxied to SERVICE's upstream (a gateway's own --route flag). */
export interface Route {
  readonly hostname: string;
  /** `/` for the whole host, else a prefix without a trailing slash. */
  readonly path: string;
  readonly service: string;
}

/** Everything renderUpstreams needs besides the snapshot. Build it with gatewayRenderOptions (validated, frozen). */
export interface RenderOptions {
  readonly domain: string;
  /** Services rendered even with no instance (a placeholder server keeps `nginx -t` passing). */
  readonly declared: readonly string[];
  /** Only the declared and routed services' upstreams, not every service of the domain (`--only-routed`). */
  readonly onlyRouted: boolean;
  /** Upstream name by service, where renamed (`--upstream grafana=docker_grafana`). */
  readonly names: ReadonlyMap<string, string>;
  readonly defaults: UpstreamSettings;
  readonly perService: ReadonlyMap<string, Partial<UpstreamSettings>>;
  readonly routes: readonly Route[];
  /** `listen` parameters of the route servers: `80`, `127.0.0.1:8080`, `[::1]:80`. */
  readonly listen: readonly string[];
  /** `listen ... ssl` parameters of the route servers that have a certificate (default `443`). */
  readonly httpsListen: readonly string[];
  /** Send Strict-Transport-Security from every HTTPS route server. */
  readonly hsts: boolean;
  /** nginx >= 1.27.3: upstreams follow SRV records through this resolver instead of rendered addresses. */
  readonly resolve?: { readonly resolver: string } | undefined;
}

/** Flag values as given on the command line (or by the agent), before validation. */
export interface RenderOptionsInput {
  domain: string;
  /** `SERVICE` or `SERVICE=NAME`. */
  upstreams?: readonly string[];
  /** `HOSTNAME=SERVICE`. */
  routes?: readonly string[];
  /** `SERVICE:KEY=VALUE`, SERVICE `*` for every upstream. */
  upstreamOptions?: readonly string[];
  /** `PORT` or `ADDRESS:PORT`; default `80`. */
  listen?: readonly string[];
  /** `PORT` or `ADDRESS:PORT` for HTTPS; default `443`. */
  httpsListen?: readonly string[];
  hsts?: boolean;
  onlyRouted?: boolean;
  /** `ADDRESS[:PORT]` of a DNS server answering SRV for the domain (rundock dns). */
  resolve?: string | undefined;
}

/** Settings of every upstream unless overridden: round robin, 32 idle keep-alive connections per worker. */
export const DEFAULT_SETTINGS: UpstreamSettings = Object.freeze({
  balance: Object.freeze({ method: 'round_robin' }),
  keepalive: 32,
});

const UPSTREAM_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const TIME = /^[0-9]{1,9}(?:ms|s|m|h|d)?$/;
const HASH_KEY = /^(?:[A-Za-z0-9_.:/-]|\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\})+$/;

/** Checks every flag value and builds frozen render options; throws a ValidationError naming the flag. */
export function gatewayRenderOptions(input: RenderOptionsInput): RenderOptions {
  domainLabels(input.domain);
  const names = new Map<string, string>();
  const declared = new Set<string>();
  for (const text of input.upstreams ?? []) {
    const { service, name } = parseUpstreamFlag(text);
    declared.add(service);
    if (name !== undefined) names.set(service, name);
  }
  const routes = (input.routes ?? []).map(parseRouteFlag);
  routes.forEach((route, i) => {
    if (routes.findIndex((r) => r.hostname === route.hostname && r.path === route.path) !== i)
      throw new ValidationError('route', formatRoute(route), 'is routed twice');
  });
  const { defaults, perService } = parseUpstreamOptions(input.upstreamOptions ?? []);
  const listen = (input.listen ?? ['80']).map((l) => parseListenParam(l, 'route-listen'));
  const httpsListen = (input.httpsListen ?? ['443']).map((l) => parseListenParam(l, 'https-listen'));
  const resolve = input.resolve === undefined ? undefined : { resolver: parseResolver(input.resolve, input.domain) };
  const options: RenderOptions = {
    domain: input.domain,
    declared: [...declared].sort(),
    onlyRouted: input.onlyRouted === true,
    names,
    defaults,
    perService,
    routes,
    listen,
    httpsListen,
    hsts: input.hsts === true,
    resolve,
  };
  checkUniqueNames(names);
  return Object.freeze(options);
}

/** The upstream name of a service: its rename, else `rundock_<service>` with `-` as `_`. */
export function upstreamName(options: RenderOptions, service: string): string {
  return options.names.get(service) ?? `rundock_${service.replaceAll('-', '_')}`;
}

/** A service's settings: the defaults (`*`) overridden by its own. */
export function settingsFor(options: RenderOptions, service: string): UpstreamSettings {
  return { ...options.defaults, ...options.perService.get(service) };
}

/** `SERVICE` or `SERVICE=NAME`. */
export function parseUpstreamFlag(text: string): { service: string; name?: string } {
  const [service = '', name] = text.split('=', 2);
  checkLabel('upstream', service);
  if (name === undefined) return { service };
  if (!UPSTREAM_NAME.test(name))
    throw new ValidationError('upstream', text, 'NAME must be letters, digits, _ and -, starting with a letter or _');
  return { service, name };
}

/** `HOSTNAME[/PATH]=SERVICE`; HOSTNAME may start with `*.`. */
export function parseRouteFlag(text: string): Route {
  const eq = text.lastIndexOf('=');
  const rule = 'must be HOSTNAME[/PATH]=SERVICE, HOSTNAME a DNS name (optionally *.name)';
  if (eq <= 0) throw new ValidationError('route', text, rule);
  let address: { hostname: string; path: string };
  try {
    address = parseRoute(text.slice(0, eq));
  } catch (error) {
    throw error instanceof ValidationError ? new ValidationError('route', text, `${rule}: ${error.reason}`) : error;
  }
  return { ...address, service: checkLabel('route', text.slice(eq + 1)) };
}

function parseUpstreamOptions(texts: readonly string[]): {
  defaults: UpstreamSettings;
  perService: Map<string, Partial<UpstreamSettings>>;
} {
  let defaults: UpstreamSettings = DEFAULT_SETTINGS;
  const perService = new Map<string, Partial<UpstreamSettings>>();
  for (const text of texts) {
    const match = /^([^:]+):([a-z_]+)=(.*)$/.exec(text);
    if (!match?.[1] || !match[2] || match[3] === undefined)
      throw new ValidationError('upstream-option', text, 'must be SERVICE:KEY=VALUE (SERVICE * for every upstream)');
    const setting = parseSetting(match[2], match[3], text);
    if (match[1] === '*') defaults = { ...defaults, ...setting };
    else perService.set(checkLabel('upstream-option', match[1]), { ...perService.get(match[1]), ...setting });
  }
  return { defaults, perService };
}

/** One `KEY=VALUE` of --upstream-option as settings. */
function parseSetting(key: string, value: string, text: string): Partial<UpstreamSettings> {
  const bad = (rule: string): ValidationError => new ValidationError('upstream-option', text, `${key} ${rule}`);
  const int = (min: number, max: number): number => {
    const n = Number(value);
    if (!/^[0-9]+$/.test(value) || n < min || n > max) throw bad(`must be a whole number from ${min} to ${max}`);
    return n;
  };
  const time = (): string => {
    if (!TIME.test(value)) throw bad('must be an nginx time such as 10s, 500ms or 1m');
    return value;
  };
  switch (key) {
    case 'keepalive':
      return { keepalive: int(0, 100_000) };
    case 'keepalive_timeout':
      return { keepaliveTimeout: time() };
    case 'keepalive_requests':
      return { keepaliveRequests: int(1, 10_000_000) };
    case 'max_fails':
      return { maxFails: int(0, 1000) };
    case 'fail_timeout':
      return { failTimeout: time() };
    case 'balance':
      return { balance: parseBalance(value, bad) };
    case 'hash':
      return { balance: parseHash(value, bad) };
    default:
      throw new ValidationError(
        'upstream-option',
        text,
        'KEY must be keepalive, keepalive_timeout, keepalive_requests, max_fails, fail_timeout, balance or hash',
      );
  }
}

function parseBalance(value: string, bad: (rule: string) => ValidationError): Balance {
  if (value === 'round_robin' || value === 'least_conn' || value === 'ip_hash' || value === 'random')
    return { method: value };
  throw bad('must be round_robin, least_conn, ip_hash or random (or use hash=KEY)');
}

function parseHash(value: string, bad: (rule: string) => ValidationError): Balance {
  const [key = '', flag, ...rest] = value.split(' ');
  if (!HASH_KEY.test(key) || rest.length > 0 || (flag !== undefined && flag !== 'consistent')) {
    throw bad(
      'must be a key of text and $variables, optionally followed by " consistent" (hash=$request_uri consistent)',
    );
  }
  return { method: 'hash', key, consistent: flag === 'consistent' };
}

/** `PORT`, `ADDRESS:PORT` or `[IPV6]:PORT`, as nginx's `listen` takes it. */
function parseListenParam(text: string, flag: string): string {
  const match = /^(?:(\*|[0-9.]+|\[[0-9a-fA-F:.]+\]):)?([0-9]{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  const address = match?.[1];
  const addressOk = address === undefined || address === '*' || isIP(address.replace(/^\[|\]$/g, '')) !== 0;
  if (!match || !addressOk || port < 1 || port > 65535)
    throw new ValidationError(flag, text, 'must be PORT or ADDRESS:PORT (IPv6 in brackets)');
  return text;
}

/** The resolver address (an IP, optional port); resolve mode also needs a domain of two labels or more. */
function parseResolver(text: string, domain: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[0-9.]+)(?::([0-9]{1,5}))?$/.exec(text);
  const address = match?.[1]?.replace(/^\[|\]$/g, '') ?? '';
  const port = match?.[2] === undefined ? 53 : Number(match[2]);
  if (isIP(address) === 0 || port < 1 || port > 65535)
    throw new ValidationError(
      'nginx-resolve',
      text,
      'must be the IP[:PORT] of a DNS server for the domain (rundock dns)',
    );
  if (domainLabels(domain).length < 2)
    throw new ValidationError(
      'domain',
      domain,
      'must have two labels or more with --nginx-resolve (nginx builds the SRV name from the service and the domain)',
    );
  return text;
}

/** Renamed upstreams must differ from each other and from derived names (`rundock_` is reserved for those). */
function checkUniqueNames(names: ReadonlyMap<string, string>): void {
  const owner = new Map<string, string>();
  for (const [service, name] of names) {
    if (name.startsWith('rundock_'))
      throw new ValidationError(
        'upstream',
        `${service}=${name}`,
        'NAME must not start with rundock_ (reserved for derived names)',
      );
    const other = owner.get(name);
    if (other !== undefined)
      throw new ValidationError('upstream', name, `names two services (${other} and ${service})`);
    owner.set(name, service);
  }
}
