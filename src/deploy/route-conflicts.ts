/**
 * Conflicting routes are refused, not merged: before `enable`, `present`, `apply` or `rollback` changes anything, the
 * routes of each service are checked against the route records every agent keeps in the registry (read through the
 * host's agent, GET /routes) and against the other services of the same run. A route another service serves is one
 * line naming that service, exit status 2.
 */
import { decodeRouteClaim, type RouteClaim } from '../registry/routes.js';
import { ValidationError, ValidationErrors } from '../shared/errors.js';
import { getJson } from '../shared/http-json.js';
import { formatRoute } from '../shared/route-address.js';
import { routesOf } from '../service-spec/route-fields.js';
import type { ServiceSpec } from '../service-spec/schema.js';

/** One service of the run, and where errors name its fields (`services.web.`). */
export interface RoutedSpec {
  readonly spec: Readonly<ServiceSpec>;
  readonly where?: string;
}

/** The route records as the host's agent reads them from the registry; empty when no agent answers (nothing to check). */
export async function claimedRoutes(agentBase: string | undefined): Promise<RouteClaim[]> {
  if (agentBase === undefined) return [];
  // An agent of a version before routes answers 404: it knows of none.
  const body = await getJson(`${agentBase}/routes`, 5000).catch(() => ({ routes: [] }));
  const listed = (body as { routes?: unknown }).routes;
  return (Array.isArray(listed) ? listed : []).flatMap((entry) => decodeRouteClaim(JSON.stringify(entry)) ?? []);
}

/**
 * Checks the run's routes against the registry's (through the agent at `agentBase`) and each other; asks the agent
 * only when a service of the run has routes.
 */
export async function checkRoutes(run: readonly RoutedSpec[], agentBase: string | undefined): Promise<void> {
  if (run.every(({ spec }) => routesOf(spec).length === 0)) return;
  refuseRouteConflicts(run, await claimedRoutes(agentBase));
}

/** Throws a ValidationError (RUNDOCK_E_ROUTE_CONFLICT, every conflict) when a route is another service's. */
export function refuseRouteConflicts(run: readonly RoutedSpec[], claims: readonly RouteClaim[]): void {
  const claimants = new Map<string, RouteClaim[]>();
  for (const claim of claims)
    for (const route of claim.routes)
      claimants.set(formatRoute(route), [...(claimants.get(formatRoute(route)) ?? []), claim]);
  const errors: ValidationError[] = [];
  const inRun = new Map<string, string>();
  for (const { spec, where = '' } of run) {
    if (spec.state === 'absent' || spec.state === 'disabled') continue;
    const field = `${where}${spec.routes !== undefined ? 'routes' : 'route'}`;
    for (const route of routesOf(spec)) {
      const key = formatRoute(route);
      const owner = claimants.get(key)?.find((c) => c.service !== spec.name);
      const other = inRun.get(key);
      if (owner !== undefined) errors.push(conflict(field, key, `${owner.service} (on ${owner.host})`));
      else if (other !== undefined && other !== spec.name) errors.push(conflict(field, key, `${other} (in this run)`));
      inRun.set(key, spec.name);
    }
  }
  const error = ValidationErrors.of(errors);
  if (error !== undefined) throw error;
}

function conflict(field: string, route: string, owner: string): ValidationError {
  return new ValidationError(
    field,
    route,
    `is served by service ${owner}; remove the route there first`,
    'RUNDOCK_E_ROUTE_CONFLICT',
  );
}
