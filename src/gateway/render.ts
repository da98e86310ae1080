/**
 * The default nginx text: one `upstream` per service with every announced instance's address, then the route servers
 * (render-routes.ts). Pure: the same snapshot and options always give the same text, byte for byte, so the gateway can tell
 * "nothing changed" by comparing strings and unit tests can assert the exact text.
 */
import { balanceLines, block, keepaliveLines, serverParams } from './directives.js';
import type { RenderOptions } from './options.js';
import { renderResolveUpstream, resolveZoneKib } from './render-resolve.js';
import { renderRouteServers, type RouteServers } from './render-routes.js';
import { buildRouteTable } from './route-table.js';
import { hostPort, type UpstreamInstance, type UpstreamSnapshot } from './snapshot.js';
import { planUpstreams, type UpstreamPlan } from './upstream-plan.js';

/** A server nginx never sends to: an upstream needs one server to pass `nginx -t`; with only this one, nginx answers 502 at once. */
export const PLACEHOLDER_SERVER = '127.0.0.1:1 down';

/** The text of one upstream block (renderUpstream, or a memo of it). */
export type UpstreamText = (plan: UpstreamPlan) => string;

/**
 * The nginx text of the snapshot: a header comment, the upstreams, then the route servers (`servers`; without it,
 * the gateway's flag routes alone, over plain HTTP). `upstreamText` renders each upstream (memoizedUpstreamText: only
 * changed services are rendered again).
 */
export function renderUpstreams(
  snapshot: UpstreamSnapshot,
  options: RenderOptions,
  keep: Iterable<string> = [],
  servers: RouteServers = flagServers(options),
  upstreamText: UpstreamText = renderUpstream,
): string {
  const plans = planUpstreams(snapshot, options, [...keep, ...servers.table.services]);
  const resolver = options.resolve?.resolver;
  const blocks = plans.map((plan, i) =>
    resolver === undefined
      ? upstreamText(plan)
      : renderResolveUpstream(plan, options.domain, resolver, i === 0 ? resolveZoneKib(plans.length) : undefined),
  );
  return [header(options.domain), ...blocks, ...renderRouteServers(servers, options)].join('\n');
}

/** The route servers of the gateway's own --route flags alone, over plain HTTP (no registry, no certificates). */
export function flagServers(options: RenderOptions): RouteServers {
  return { table: buildRouteTable([], options), certificates: new Map(), https: false };
}

/** `upstream NAME { ... }` with rendered addresses (nginx < 1.27.3, or by choice). */
export function renderUpstream(plan: UpstreamPlan): string {
  const servers =
    plan.instances.length === 0
      ? [`    server ${PLACEHOLDER_SERVER};  # no instance of ${plan.service} announced`]
      : plan.instances.map(
          (instance) => `    server ${hostPort(instance)}${serverParams(plan.settings, instance.weight)};`,
        );
  return block(`upstream ${plan.name}`, [...balanceLines(plan.settings), ...servers, ...keepaliveLines(plan.settings)]);
}

/**
 * renderUpstream, remembered per instances array: the gateway's view keeps the very array of a service none of whose
 * records changed (source.ts), so a change renders its own service again and reuses every other block. One memo per
 * gateway: the upstreams' settings come from its options, fixed for its life.
 */
export function memoizedUpstreamText(): UpstreamText {
  const texts = new WeakMap<readonly UpstreamInstance[], { name: string; text: string }>();
  return (plan) => {
    const hit = texts.get(plan.instances);
    if (hit !== undefined && hit.name === plan.name) return hit.text;
    const text = renderUpstream(plan);
    texts.set(plan.instances, { name: plan.name, text });
    return text;
  };
}

function header(domain: string): string {
  return `# Rendered by rundock gateway from the services of ${domain}. Do not edit: the next change replaces this file.\n`;
}
