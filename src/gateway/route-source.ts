/**
 * The gateway's view of every service's routes: the route records (/rundock/routes/, registry/routes.ts) followed
 * through the process's feed of that prefix, turned into the route table at each render. Conflicts are logged once
 * each, when they appear, counted in `rundock_gateway_route_conflicts` and kept for /status.
 */
import type { Logger } from 'pino';
import type { FeedProvider, FeedState } from '../registry/feed.js';
import { claimsFrom, ROUTES_PREFIX } from '../registry/routes.js';
import type { GatewayMetrics } from './metrics.js';
import type { RenderOptions } from './options.js';
import { KeyValueView } from './key-value-view.js';
import { buildRouteTable, type RouteConflict, type RouteTable } from './route-table.js';

/** The route records, their feed's state and the conflicts of the last table. */
export class RouteSource {
  state: FeedState = 'loading';
  conflicts: readonly RouteConflict[] = [];
  private readonly view: KeyValueView;
  private unsubscribe: (() => void) | undefined;

  /** `onChange` runs after every change of the records, and when the feed (again) watches. */
  constructor(
    private readonly onChange: () => void,
    private readonly log: Logger,
    private readonly metrics: GatewayMetrics,
  ) {
    this.view = new KeyValueView(onChange);
  }

  async follow(feeds: FeedProvider): Promise<void> {
    const feed = await feeds.feed(ROUTES_PREFIX);
    this.unsubscribe = feed.subscribe(this.view, (state) => {
      this.state = state;
      if (state === 'watching') this.onChange();
    });
  }

  /** The table of the records now, with the gateway's own --route flags; reports new conflicts. */
  table(options: RenderOptions): RouteTable {
    const table = buildRouteTable(claimsFrom(this.view.entries()), options);
    const known = new Set(this.conflicts.map(text));
    for (const c of table.conflicts) {
      if (known.has(text(c))) continue;
      const by = c.servedBy === 'flag' ? "this gateway's --route flag" : `service ${c.servedBy}`;
      this.log.warn(
        { route: c.route, served_by: c.servedBy, refused: c.refused },
        `route ${c.route} is claimed by ${c.refused.join(', ')} too; ${by} serves it`,
      );
    }
    this.conflicts = table.conflicts;
    this.metrics.routeConflicts.set(table.conflicts.length);
    return table;
  }

  stop(): void {
    this.unsubscribe?.();
  }
}

function text(c: RouteConflict): string {
  return `${c.route} ${c.servedBy} ${c.refused.join(',')}`;
}
