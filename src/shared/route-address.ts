/**
 * A public route's address, `HOST[/PATH]`, as a service declares it (`--route shop.example.com/api`), its container's
 * label carries it, the registry keeps it and a gateway renders it. One parser for all of them: what passes here can
 * go into nginx text as it is (no `;`, braces, quotes, spaces or `..`).
 */
import { ValidationError } from './errors.js';
import { DNS_LABEL_SOURCE } from './dns-label.js';

/** A hostname a route may name: lowercase DNS labels, at least two, optionally `*.` first (a wildcard). */
export const ROUTE_HOSTNAME = new RegExp(`^(?:\\*\\.)?(?:${DNS_LABEL_SOURCE}\\.)+${DNS_LABEL_SOURCE}$`);

/** One path segment: RFC 3986 unreserved characters and percent-escapes, nothing nginx would read as syntax. */
const SEGMENT = /^(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+$/;

/** A parsed route: the hostname and the path prefix (`/` for the whole host, else `/api` without a trailing slash). */
export interface RouteAddress {
  readonly hostname: string;
  readonly path: string;
}

const RULE =
  'must be HOST[/PATH]: HOST a DNS name of two labels or more (optionally *.name), PATH segments of letters, digits, ._~- or %XX';

/** Parses `HOST[/PATH]` (a trailing slash is dropped; HOST is lowercased); throws a ValidationError naming `field`. */
export function parseRoute(text: string, field = 'route'): RouteAddress {
  const slash = text.indexOf('/');
  const hostname = (slash < 0 ? text : text.slice(0, slash)).toLowerCase();
  const rest = slash < 0 ? '' : text.slice(slash);
  if (hostname.length > 253 || !ROUTE_HOSTNAME.test(hostname)) throw new ValidationError(field, text, RULE);
  const segments = rest.split('/').slice(1);
  if (segments.at(-1) === '') segments.pop(); // `host/api/` is `host/api`; `host/` is `host`
  for (const segment of segments) {
    if (segment === '..' || segment === '.')
      throw new ValidationError(field, text, 'must not contain . or .. path segments');
    if (!SEGMENT.test(segment)) throw new ValidationError(field, text, RULE);
  }
  return { hostname, path: `/${segments.join('/')}` };
}

/** `HOST[/PATH]` again: `shop.example.com`, `shop.example.com/api`. */
export function formatRoute(route: RouteAddress): string {
  return route.path === '/' ? route.hostname : `${route.hostname}${route.path}`;
}

/** True for a wildcard hostname (`*.example.com`): HTTP-01 cannot prove it, so it needs a certificate brought along. */
export function isWildcard(hostname: string): boolean {
  return hostname.startsWith('*.');
}

/** Orders routes by hostname, then path: the same routes always come out in the same order. */
export function compareRoutes(a: RouteAddress, b: RouteAddress): number {
  return a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
