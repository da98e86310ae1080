/**
 * The cluster view -> the page model (src/ui/model.ts). Pure. Every field the browser sees is picked here by name:
 * host records carry no secret, and this keeps it so (no container environment, no labels, no record spread).
 */
import { compare, type ClusterView, type DnsEntry, type GatewayReport, type HostRecordView } from './records.js';
import type { GatewayCard, HostCard, OtherRecord, PageModel, ServiceRow } from './model.js';

/** Builds the page model of `domain` (with or without its trailing dot) from a cluster view. */
export function pageModel(domain: string, view: ClusterView): PageModel {
  const bare = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  const recorded = new Set(view.dns.map(dnsKey));
  const listed = new Set(
    view.hosts.flatMap((h) => h.services.map((s) => instanceKey(s.service, h.host, s.successor ? s.container : ''))),
  );
  const servedBy = gatewayIndex(view.gateways);
  return {
    domain: bare,
    hosts: view.hosts.map((h) => hostCard(h, bare, recorded, servedBy)),
    gateways: view.gateways.map(gatewayCard),
    otherRecords: view.dns
      .filter((d) => !listed.has(dnsKey(d)))
      .map((d): OtherRecord => ({ name: `${d.service}.${bare}`, host: d.host, target: d.target })),
    skipped: [...view.skipped],
  };
}

/** service/host, and for a redeploy's second instance its short container ID: the record's place under the domain. */
function instanceKey(service: string, host: string, container: string): string {
  return `${service}/${host}/${container.slice(0, 12)}`;
}

function dnsKey(d: DnsEntry): string {
  return instanceKey(d.service, d.host, d.instance ?? '');
}

function hostCard(
  h: HostRecordView,
  domain: string,
  recorded: ReadonlySet<string>,
  servedBy: ReadonlyMap<string, string[]>,
): HostCard {
  return {
    host: h.host,
    addresses: { public: h.addresses.public ?? null, private: h.addresses.private ?? null },
    version: h.version,
    startedAt: h.started_at,
    services: [...h.services].sort(byServiceThenSuccessor).map((s): ServiceRow => {
      const address = s.announced ? (s.address ?? null) : null;
      const container = s.container.slice(0, 12);
      const successor = s.successor === true;
      const names = [`${s.service}.${domain}`, `${h.host}.${s.service}.${domain}`];
      if (successor) names.push(`${container}.${h.host}.${s.service}.${domain}`);
      return {
        service: s.service,
        container,
        image: s.image,
        state: s.state,
        health: s.health ?? null,
        restarts: s.restarts,
        successor,
        announced: s.announced,
        reason: s.reason,
        address,
        dnsNames: recorded.has(instanceKey(s.service, h.host, successor ? container : '')) ? names : [],
        gateways: address === null ? [] : (servedBy.get(`${s.service}\u0000${serverForm(address)}`) ?? []),
        routes: [...(s.routes ?? [])],
      };
    }),
  };
}

/** By service name; a redeploy's successor after the service's current container. */
function byServiceThenSuccessor(a: HostRecordView['services'][number], b: HostRecordView['services'][number]): number {
  return compare(a.service, b.service) || Number(a.successor === true) - Number(b.successor === true);
}

/** An `ip:port` as gateways report servers: IPv6 in brackets (the host record writes it without). */
export function serverForm(address: string): string {
  const colon = address.lastIndexOf(':');
  const ip = address.slice(0, colon);
  return ip.includes(':') && !ip.startsWith('[') ? `[${ip}]${address.slice(colon)}` : address;
}

/** service NUL server -> the gateways whose report lists that server for that service, in gateway order. */
function gatewayIndex(reports: readonly GatewayReport[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const report of reports) {
    for (const [service, servers] of Object.entries(report.services)) {
      for (const server of new Set(servers)) {
        const key = `${service}\u0000${server}`;
        index.set(key, [...(index.get(key) ?? []), report.host]);
      }
    }
  }
  return index;
}

function gatewayCard(report: GatewayReport): GatewayCard {
  const lists = Object.values(report.services);
  return {
    host: report.host,
    revision: report.revision,
    appliedAt: report.applied_at,
    services: lists.length,
    servers: lists.reduce((sum, servers) => sum + servers.length, 0),
    certificates: (report.certificates ?? []).map((c) => ({
      hostname: c.hostname,
      source: c.source,
      state: c.state,
      serial: c.serial ?? null,
      notAfter: c.not_after ?? null,
    })),
  };
}
