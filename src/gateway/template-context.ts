/**
 * The data a user's template sees (docs/gateway.md lists every name), built from the same plan as the default
 * render, so a template and the default text always agree on upstream names and servers.
 */
import { upstreamName, type RenderOptions } from './options.js';
import { planUpstreams, renderRoute, renderUpstream, renderUpstreams, type UpstreamText } from './render.js';
import { hostPort, type UpstreamSnapshot } from './snapshot.js';
import type { Template, TemplateValue } from './template.js';

/**
 * `domain`; `upstream_blocks` (the default upstream text), `route_blocks` (the default route servers);
 * `services` (each: `service`, `upstream`, `empty`, `servers` (each: `address` as HOST:PORT, `host`, `port`,
 * `instance`, `weight` or '')); `routes` (each: `hostname`, `service`, `upstream`).
 */
export function templateContext(
  snapshot: UpstreamSnapshot,
  options: RenderOptions,
  keep: Iterable<string> = [],
  upstreamText: UpstreamText = renderUpstream,
): { readonly [name: string]: TemplateValue } {
  const plans = planUpstreams(snapshot, options, keep);
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
  const routes = options.routes.map((r) => ({
    hostname: r.hostname,
    service: r.service,
    upstream: upstreamName(options, r.service),
  }));
  const upstreamsOnly = { ...options, routes: [] };
  return {
    domain: options.domain,
    upstream_blocks: renderUpstreams(
      snapshot,
      upstreamsOnly,
      plans.map((p) => p.service),
      upstreamText,
    ),
    route_blocks: options.routes
      .map((r) => renderRoute(r.hostname, upstreamName(options, r.service), options.listen))
      .join('\n'),
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
  upstreamText: UpstreamText = renderUpstream,
): string {
  const kept = [...keep];
  return template === undefined
    ? renderUpstreams(snapshot, options, kept, upstreamText)
    : template.render(templateContext(snapshot, options, kept, upstreamText));
}
