/**
 * The cluster view -> the page model (src/ui/model.ts). Pure. Every field the browser sees is picked here by name:
 * host records carry no secret, and this keeps it so (no container environment, no labels, no record spread).
 */
import type { ClusterView, GatewayReport, HostRecordView } from './records.js';
import type { GatewayCard, GatewayRef, HostCard, OtherRecord, PageModel, ServiceRow } from './model.js';

/** Builds the page model of `domain` (with or without its trailing dot) from a cluster view. */
export function pageModel(domain: string, view: ClusterView): PageModel {
  const bare = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  const recorded = new Set(view.dns.map((d) => `${d.service}/${d.host}`));
  const listed = new Set(view.hosts.flatMap((h) => h.services.map((s) => `${s.service}/${h.host}`)));
  const servedBy = gatewayIndex(view.gateways);
  return {
    domain: bare,
    hosts: view.hosts.map((h) => hostCard(h, bare, recorded, servedBy)),
    gateways: view.gateways.map(gatewayCard),
    otherRecords: view.dns
      .filter((d) => !listed.has(`${d.service}/${d.host}`))
      .map((d): OtherRecord => ({ name: `${d.service}.${bare}`, host: d.host, target: d.target })),
    skipped: [...view.skipped],
  };
}

function hostCard(
  h: HostRecordView,
  domain: string,
  recorded: ReadonlySet<string>,
  servedBy: ReadonlyMap<string, GatewayRef[]>,
): HostCard {
  return {
    host: h.host,
    addresses: { public: h.addresses.public ?? null, private: h.addresses.private ?? null },
    version: h.version,
    startedAt: h.started_at,
    services: h.services.map((s): ServiceRow => {
      const address = s.announced ? (s.address ?? null) : null;
      const inDns = recorded.has(`${s.service}/${h.host}`);
      return {
        service: s.service,
        container: s.container.slice(0, 12),
        image: s.image,
        state: s.state,
        health: s.health ?? null,
        restarts: s.restarts,
        announced: s.announced,
        reason: s.reason,
        address,
        dnsNames: inDns ? [`${s.service}.${domain}`, `${h.host}.${s.service}.${domain}`] : [],
        gateways: address === null ? [] : (servedBy.get(address) ?? []),
      };
    }),
  };
}

/** Address (`ip:port`) -> the gateways and upstreams listing it, sorted by gateway then upstream. */
function gatewayIndex(reports: readonly GatewayReport[]): Map<string, GatewayRef[]> {
  const index = new Map<string, GatewayRef[]>();
  for (const report of reports) {
    for (const upstream of Object.keys(report.upstreams).sort()) {
      for (const server of new Set(report.upstreams[upstream])) {
        const refs = index.get(server) ?? [];
        refs.push({ gateway: report.host, upstream });
        index.set(server, refs);
      }
    }
  }
  return index;
}

function gatewayCard(report: GatewayReport): GatewayCard {
  const lists = Object.values(report.upstreams);
  return {
    host: report.host,
    revision: report.revision,
    appliedAt: report.applied_at,
    upstreams: lists.length,
    servers: lists.reduce((sum, servers) => sum + servers.length, 0),
  };
}
