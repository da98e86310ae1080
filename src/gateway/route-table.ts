/**
 * Which service serves each hostname and path: the route records of the registry (every service's own `--route`,
 * registry/routes.ts) and the gateway's own `--route` flags, merged into one table. Pure: the same claims and
 * options always give the same table, on every gateway.
 *
 * Conflicts are never merged: a route claimed twice is served by one owner and the others are reported. The
 * gateway's own flags win over the registry (the operator of this frontend said so); between services, the one whose
 * name sorts first (so every gateway picks the same one; `rundock enable` refuses such a claim, so this only happens
 * when two enables raced or a container was made by hand).
 */
import type { RouteClaim } from '../registry/routes.js';
import { compareRoutes, formatRoute } from '../shared/route-address.js';
import { upstreamName, type RenderOptions } from './options.js';

/** One `location`: a path prefix of a hostname, proxied to a service's upstream. */
export interface RoutePath {
  readonly path: string;
  readonly service: string;
  readonly upstream: string;
  readonly stripPrefix: boolean;
  /** `flag`: the gateway's own --route; `registry`: a service's route record. */
  readonly source: 'flag' | 'registry';
}

/** Every path of one hostname, sorted (nginx picks the longest matching prefix whatever the order). */
export interface HostRoutes {
  readonly hostname: string;
  readonly paths: readonly RoutePath[];
}

/** A route more than one claimed: who serves it, who does not. */
export interface RouteConflict {
  readonly route: string;
  /** `flag` or the service that serves it. */
  readonly servedBy: string;
  /** The services whose claim is not served. */
  readonly refused: readonly string[];
}

export interface RouteTable {
  readonly hosts: readonly HostRoutes[];
  readonly conflicts: readonly RouteConflict[];
  /** Every service a route names: each needs an upstream, even with no instance. */
  readonly services: readonly string[];
}

/** The table of `claims` (any domain; only `options.domain`'s are rendered) and the gateway's flag routes. */
export function buildRouteTable(claims: readonly RouteClaim[], options: RenderOptions): RouteTable {
  const byRoute = new Map<string, { hostname: string; path: string; candidates: RoutePath[] }>();
  const add = (hostname: string, path: string, candidate: RoutePath): void => {
    const key = formatRoute({ hostname, path });
    const entry = byRoute.get(key) ?? { hostname, path, candidates: [] };
    if (!entry.candidates.some((c) => c.source === candidate.source && c.service === candidate.service))
      entry.candidates.push(candidate);
    byRoute.set(key, entry);
  };
  for (const r of options.routes)
    add(r.hostname, r.path, { ...pathOf(options, r.path, r.service, false), source: 'flag' });
  for (const claim of claims) {
    if (sameDomain(claim.domain, options.domain))
      for (const r of claim.routes)
        add(r.hostname, r.path, { ...pathOf(options, r.path, claim.service, r.stripPrefix), source: 'registry' });
  }
  const hosts = new Map<string, RoutePath[]>();
  const conflicts: RouteConflict[] = [];
  for (const [key, { hostname, candidates }] of [...byRoute].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const ranked = [...candidates].sort(rank);
    const [owner] = ranked;
    if (owner === undefined) continue;
    const refused = [...new Set(ranked.map((c) => c.service))].filter((s) => s !== owner.service);
    if (refused.length > 0)
      conflicts.push({ route: key, servedBy: owner.source === 'flag' ? 'flag' : owner.service, refused });
    hosts.set(hostname, [...(hosts.get(hostname) ?? []), owner]);
  }
  const list = [...hosts].map(([hostname, paths]) => ({
    hostname,
    paths: [...paths].sort((a, b) => compareRoutes({ hostname, path: a.path }, { hostname, path: b.path })),
  }));
  const services = [...new Set(list.flatMap((h) => h.paths.map((p) => p.service)))].sort();
  return { hosts: list, conflicts, services };
}

function pathOf(
  options: RenderOptions,
  path: string,
  service: string,
  stripPrefix: boolean,
): Omit<RoutePath, 'source'> {
  return { path, service, upstream: upstreamName(options, service), stripPrefix: stripPrefix && path !== '/' };
}

/** The flag first, then a registry claim by service name. */
function rank(a: RoutePath, b: RoutePath): number {
  if (a.source !== b.source) return a.source === 'flag' ? -1 : 1;
  return a.service < b.service ? -1 : a.service > b.service ? 1 : 0;
}

function sameDomain(a: string, b: string): boolean {
  return a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();
}
