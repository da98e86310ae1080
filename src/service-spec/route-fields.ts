/**
 * The spec's public routes: `route` (or `routes`), `HOST[/PATH]` or a list of them, and `strip_prefix`. Checked here
 * with the one route parser (shared/route-address.ts); `routesOf` gives them normalized, sorted and unique.
 */
import * as z from 'zod/mini';
import type { $RefinementCtx } from 'zod/v4/core';
import { ValidationError } from '../shared/errors.js';
import { compareRoutes, formatRoute, parseRoute, type RouteAddress } from '../shared/route-address.js';

const routeText = z.string().check(
  z.superRefine((text: string, ctx) => {
    try {
      parseRoute(text);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.reason, input: text });
    }
  }),
);

/** `HOST[/PATH]`, or a list of them. */
export const routeList = z.union([routeText, z.array(routeText)], {
  error: 'must be HOST[/PATH] or a list of them',
});

/** The route fields of a spec, as the schema gives them. */
export interface RouteFields {
  route?: string | string[] | undefined;
  routes?: string | string[] | undefined;
  strip_prefix?: boolean | undefined;
  announce?: number | 'auto' | undefined;
  announce_as?: 'private' | 'public' | 'container' | undefined;
  port?: number | undefined;
}

type Ctx = $RefinementCtx<RouteFields>;

/** The rules across fields: one of route/routes, no route twice, something to proxy to, strip_prefix with a path. */
export function routeRules(spec: RouteFields, ctx: Ctx): void {
  const key = spec.routes !== undefined ? 'routes' : 'route';
  if (spec.route !== undefined && spec.routes !== undefined)
    issue(ctx, 'routes', spec.routes, 'is the same as route: give one of them');
  const given = listOf(spec.route ?? spec.routes);
  if (given.length === 0) {
    if (spec.strip_prefix === true) issue(ctx, 'strip_prefix', true, 'needs a route with a path');
    return;
  }
  const parsed = given.flatMap((text) => safeParse(text) ?? []);
  const seen = new Set<string>();
  for (const route of parsed) {
    const text = formatRoute(route);
    if (seen.has(text)) issue(ctx, key, text, 'names the same route twice');
    seen.add(text);
  }
  const proxied = spec.announce_as === 'container' ? spec.port !== undefined : spec.announce !== undefined;
  if (!proxied)
    issue(ctx, key, spec.route ?? spec.routes, 'needs announce (gateways proxy to the address the service announces)');
  if (spec.strip_prefix === true && parsed.every((r) => r.path === '/'))
    issue(ctx, 'strip_prefix', true, 'needs a route with a path (HOST/PATH)');
}

/** The spec's routes, parsed, unique and sorted by hostname then path; empty without any. */
export function routesOf(spec: Pick<RouteFields, 'route' | 'routes'>): RouteAddress[] {
  const unique = new Map(listOf(spec.route ?? spec.routes).map((text) => [text, parseRoute(text)] as const));
  const byText = new Map([...unique.values()].map((r) => [formatRoute(r), r]));
  return [...byText.values()].sort(compareRoutes);
}

function listOf(value: string | readonly string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
}

function safeParse(text: string): RouteAddress | undefined {
  try {
    return parseRoute(text);
  } catch {
    return undefined; // the field's own check reports it
  }
}

function issue(ctx: Ctx, path: string, input: unknown, message: string): void {
  ctx.addIssue({ code: 'custom', path: [path], message, input });
}
