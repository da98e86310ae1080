/** Routes claimed twice, as the gateway reports them: one warning per new conflict, the gauge, and /status. */
import type { Logger } from 'pino';
import type { GatewayMetrics } from './metrics.js';
import type { RouteConflict } from './route-table.js';

/** The conflicts of the last render; logs each one once, when it appears. */
export class RouteConflicts {
  current: readonly RouteConflict[] = [];

  update(conflicts: readonly RouteConflict[], log: Logger, metrics: GatewayMetrics): void {
    const known = new Set(this.current.map(text));
    for (const c of conflicts) {
      if (known.has(text(c))) continue;
      const by = c.servedBy === 'flag' ? "this gateway's --route flag" : `service ${c.servedBy}`;
      log.warn(
        { route: c.route, served_by: c.servedBy, refused: c.refused },
        `route ${c.route} is claimed by ${c.refused.join(', ')} too; ${by} serves it`,
      );
    }
    this.current = conflicts;
    metrics.routeConflicts.set(conflicts.length);
  }
}

function text(c: RouteConflict): string {
  return `${c.route} ${c.servedBy} ${c.refused.join(',')}`;
}
