/**
 * The data a user's template sees (docs/gateway.md lists every name), built from the same plan as the default
 * render, so a template and the default text always agree on upstream names and servers.
 */
import type { RenderOptions } from './options.js';
import { flagServers, renderUpstream, renderUpstreams, type UpstreamText } from './render.js';
import { planUpstreams } from './upstream-plan.js';
import { renderRouteServers, type RouteServers } from './render-routes.js';
import { hostPort, type UpstreamSnapshot } from './snapshot.js';
import type { Template, TemplateValue } from './template.js';

/**
 * `domain`; `upstream_blocks` (the default upstream text), `route_blocks` (the default route servers);
 * `services` (each: `service`, `upstream`, `empty`, `servers` (each: `address` as HOST:PORT, `host`, `port`,
 * `instance`, `weight` or '')); `routes` (each: `hostname`, `path`, `service`, `upstream`, `https`).
 */
export function templateContext(
  snapshot: UpstreamSnapshot,
  options: RenderOptions,
  keep: Iterable<string> = [],
  servers: RouteServers = flagServers(options),
  upstreamText: UpstreamText = renderUpstream,
): { readonly [name: string]: TemplateValue } {
  const plans = planUpstreams(snapshot, options, [...keep, ...servers.table.services]);
  const services = plans.map((plan) => ({
    service: plan.service,
    upstream: plan.name,
    empty: plan.instances.length === 0,
    servers: plan.instances.map((i) => ({
      address: hostPort(i),
      host: i.address,
      port: i.port,
      instance: i.instance,
      weight: i.weight ?? '',
    })),
  }));
  const routes = servers.table.hosts.flatMap((h) =>
    h.paths.map((p) => ({
      hostname: h.hostname,
      path: p.path,
      service: p.service,
      upstream: p.upstream,
      https: servers.certificates.has(h.hostname),
    })),
  );
  const upstreamsOnly = { table: { hosts: [], conflicts: [], services: [] }, certificates: new Map(), https: false };
  return {
    domain: options.domain,
    upstream_blocks: renderUpstreams(
      snapshot,
      options,
      plans.map((p) => p.service),
      upstreamsOnly,
      upstreamText,
    ),
    route_blocks: renderRouteServers(servers, options).join('\n'),
    services,
    routes,
  };
}

/**
 * The file's text: the user's template over templateContext, or the default render; `upstreamText` renders each
 * upstream block (memoizedUpstreamText in the gateway). Throws a TemplateError.
 */
export function renderConfig(
  snapshot: UpstreamSnapshot,
  options: RenderOptions,
  keep: Iterable<string>,
  template?: Template,
  servers: RouteServers = flagServers(options),
  upstreamText: UpstreamText = renderUpstream,
): string {
  const kept = [...keep];
  return template === undefined
    ? renderUpstreams(snapshot, options, kept, servers, upstreamText)
    : template.render(templateContext(snapshot, options, kept, servers, upstreamText));
}
