/**
 * Which upstreams the gateway renders and with what settings: the decision, before any text (render.ts for the
 * default text, render-resolve.ts for nginx's `resolve`). Pure.
 */
import { settingsFor, upstreamName, type RenderOptions, type UpstreamSettings } from './options.js';
import type { UpstreamInstance, UpstreamSnapshot } from './snapshot.js';

/** One upstream to render: the decision, before any text. */
export interface UpstreamPlan {
  readonly service: string;
  readonly name: string;
  readonly settings: UpstreamSettings;
  /** Empty when no instance is announced: rendered with the placeholder server. */
  readonly instances: readonly UpstreamInstance[];
}

/**
 * The upstreams to render, sorted by service: every service with instances (unless `onlyRouted`), every declared or
 * routed one, and `keep` (services rendered before, which hand-written config may still reference).
 */
export function planUpstreams(
  snapshot: UpstreamSnapshot,
  options: RenderOptions,
  keep: Iterable<string> = [],
): UpstreamPlan[] {
  const services = new Set([
    ...(options.onlyRouted ? [] : snapshot.services.keys()),
    ...options.declared,
    ...options.routes.map((r) => r.service),
    ...keep,
  ]);
  return [...services].sort().map((service) => ({
    service,
    name: upstreamName(options, service),
    settings: settingsFor(options, service),
    instances: snapshot.services.get(service) ?? [],
  }));
}
