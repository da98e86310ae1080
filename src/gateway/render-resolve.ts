/**
 * Upstreams for nginx >= 1.27.3, whose open-source `server ... resolve` follows DNS at run time: each upstream names
 * its service's SRV record (which rundock dns answers with every instance's port), so instance changes need no
 * reload; only a new or removed service changes the text. nginx 1.22 cannot load this text.
 */
import { domainLabels } from '../registry/path.js';
import { balanceLines, block, keepaliveLines, serverParams } from './directives.js';
import type { UpstreamPlan } from './upstream-plan.js';

/** Shared memory zone of every resolving upstream (nginx requires one for `resolve`). */
export const RESOLVE_ZONE = 'rundock_upstreams';
/** Zone size per upstream, in KiB: room for a few dozen resolved servers each. */
const ZONE_KIB_PER_UPSTREAM = 32;
const ZONE_KIB_MIN = 256;

/**
 * `upstream NAME { zone; resolver; server <domain-rest> service=<service>.<first-label> resolve; }`.
 * nginx joins a dotted service name and the server name into the SRV name it queries: `service=grafana.s` with
 * server `prod.example.com` looks up `grafana.s.prod.example.com`, the name rundock dns answers SRV for.
 * `zoneKib` sizes the shared zone on the first upstream (the others share it); leave it unset on the rest.
 */
export function renderResolveUpstream(plan: UpstreamPlan, domain: string, resolver: string, zoneKib?: number): string {
  const [first, ...rest] = domainLabels(domain);
  const zone = zoneKib === undefined ? `    zone ${RESOLVE_ZONE};` : `    zone ${RESOLVE_ZONE} ${zoneKib}k;`;
  const lines = [
    ...balanceLines(plan.settings),
    zone,
    `    resolver ${resolver};`,
    `    server ${rest.join('.')} service=${plan.service}.${first ?? ''} resolve${serverParams(plan.settings)};`,
    ...keepaliveLines(plan.settings),
  ];
  return block(`upstream ${plan.name}`, lines);
}

/** The shared zone's size for `count` upstreams, in KiB. */
export function resolveZoneKib(count: number): number {
  return Math.max(ZONE_KIB_MIN, count * ZONE_KIB_PER_UPSTREAM);
}
