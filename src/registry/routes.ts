/**
 * Route records: the public routes of a service, kept in the registry by the agent of each host where the service is
 * announced, on that agent's lease, so they live and go with the announcement (docs/records.md, "Route records").
 * This module is the one owner of their keys and JSON; gateways render from them and `rundock enable` checks new
 * routes against them.
 *
 *   /rundock/routes/<host>/<service> = {"service","host","domain","routes":[{"route":"HOST[/PATH]","strip_prefix"?}]}
 *
 * Keys are per host so that an etcd role can let an agent write `/rundock/routes/<its host>/` alone.
 */
import * as z from 'zod/mini';
import { DNS_LABEL } from '../shared/dns-label.js';
import { formatRoute, parseRoute, type RouteAddress } from '../shared/route-address.js';
import { checkLabel } from './path.js';
import { decodeJson } from '../shared/json.js';

/** Root of every route record; outside /skydns, so DNS servers never answer for it. */
export const ROUTES_PREFIX = '/rundock/routes/';

/** One route of a service, as gateways render it. */
export interface ServiceRoute extends RouteAddress {
  /** Proxy `PATH/x` as `/x`. */
  readonly stripPrefix: boolean;
}

/** A route record, decoded: who claims which routes. */
export interface RouteClaim {
  readonly service: string;
  readonly host: string;
  /** The domain of the service's records (gateways render the upstream of `<service>` in this domain). */
  readonly domain: string;
  readonly routes: readonly ServiceRoute[];
}

const recordSchema = z.object({
  service: z.string().check(z.regex(DNS_LABEL)),
  host: z.string().check(z.regex(DNS_LABEL)),
  domain: z.string(),
  routes: z.array(z.object({ route: z.string(), strip_prefix: z.optional(z.boolean()) })),
});

/** The key of `service`'s routes on `host`: `/rundock/routes/node-back-1/shop`. */
export function routesKey(host: string, service: string): string {
  return `${ROUTES_PREFIX}${checkLabel('hostname', host)}/${checkLabel('name', service)}`;
}

/** The host and service of a route record's key; undefined for any other key. */
export function parseRoutesKey(key: string): { host: string; service: string } | undefined {
  if (!key.startsWith(ROUTES_PREFIX)) return undefined;
  const [host, service, ...rest] = key.slice(ROUTES_PREFIX.length).split('/');
  if (host === undefined || service === undefined || rest.length > 0) return undefined;
  return DNS_LABEL.test(host) && DNS_LABEL.test(service) ? { host, service } : undefined;
}

/** The record's JSON: routes sorted as given (the caller sorts), `strip_prefix` only when true. */
export function encodeRouteClaim(claim: RouteClaim): string {
  return JSON.stringify({
    service: claim.service,
    host: claim.host,
    domain: claim.domain,
    routes: claim.routes.map((r) =>
      r.stripPrefix ? { route: formatRoute(r), strip_prefix: true } : { route: formatRoute(r) },
    ),
  });
}

/** A route record read from the registry, checked; undefined for text that is not one (never throws). */
export function decodeRouteClaim(text: string): RouteClaim | undefined {
  const record = decodeJson(recordSchema, text);
  if (record === undefined) return undefined;
  try {
    const routes = record.routes.map((r) => ({ ...parseRoute(r.route), stripPrefix: r.strip_prefix === true }));
    return { service: record.service, host: record.host, domain: record.domain, routes };
  } catch {
    return undefined; // a route no parser of this version accepts: the whole record is left out
  }
}

/** Every claim under ROUTES_PREFIX among `entries` whose key and value agree; the others are left out. */
export function claimsFrom(entries: Iterable<readonly [string, string]>): RouteClaim[] {
  const claims: RouteClaim[] = [];
  for (const [key, value] of entries) {
    const at = parseRoutesKey(key);
    const claim = decodeRouteClaim(value);
    if (at !== undefined && claim !== undefined && claim.host === at.host && claim.service === at.service)
      claims.push(claim);
  }
  return claims;
}
