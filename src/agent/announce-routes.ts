/**
 * The route records of this host's announced services (registry/routes.ts): one per service with routes, holding
 * the routes of its announced containers (during a redeploy the old and the new one; the new one's settings win
 * where they differ). Pure; decideAnnouncements adds them to the agent's records, so they are written, kept on the
 * lease and withdrawn exactly like the DNS records.
 */
import { encodeRouteClaim, routesKey, type ServiceRoute } from '../registry/routes.js';
import { compareRoutes, formatRoute, parseRoute } from '../shared/route-address.js';
import type { LabelledService } from '../service-spec/labels.js';

/** What one announced container contributes. */
export interface AnnouncedRoutes {
  readonly labels: Pick<LabelledService, 'service' | 'routes' | 'stripPrefix'>;
  /** The new container of a redeploy: its routes replace the old one's settings. */
  readonly successor?: boolean | undefined;
}

/** Key -> value of every route record of `announced` on `host` in `domain`. */
export function routeRecords(announced: readonly AnnouncedRoutes[], host: string, domain: string): Map<string, string> {
  const byService = new Map<string, Map<string, ServiceRoute>>();
  // The successor last: where both containers name a route, its strip_prefix is the one kept.
  const ordered = [...announced].sort((a, b) => Number(a.successor === true) - Number(b.successor === true));
  for (const { labels } of ordered) {
    if (labels.routes === undefined || labels.routes.length === 0) continue;
    const routes = byService.get(labels.service) ?? new Map<string, ServiceRoute>();
    for (const text of labels.routes) {
      const route = { ...parseRoute(text), stripPrefix: labels.stripPrefix === true && text.includes('/') };
      routes.set(formatRoute(route), route);
    }
    byService.set(labels.service, routes);
  }
  const records = new Map<string, string>();
  for (const [service, routes] of [...byService].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const sorted = [...routes.values()].sort(compareRoutes);
    records.set(routesKey(host, service), encodeRouteClaim({ service, host, domain, routes: sorted }));
  }
  return records;
}
