/**
 * The simulated cluster of bench/scale: which services each host runs and where they announce. Pure.
 *
 * N hosts (a multiple of 10) run S services each, N x S instances in all; a service runs on R = 10 hosts, so the
 * domain holds N x S / 10 services of 10 instances each, as a real cluster spreads replicas: at 1,000 hosts x 20,
 * 2,000 services of 10 instances (2,000 upstreams of 10 servers in the gateway's file, 10 A records per name).
 * The hosts form R groups of N / R consecutive hosts (racks); host h, at position g = h mod (N / R) in its group,
 * runs the services g x S + j for j < S. So the replicas of a service are N / R hosts apart, one in each group, and
 * a whole group failing (mass-failure.ts) takes one instance of each of its services and never a whole service.
 */
import { recordKey } from '../../src/registry/path.js';

export const DOMAIN = 's.scale.example.com';
/** Container port of every service; the announced (host) port is ANNOUNCE_BASE + j, distinct on a host. */
export const CONTAINER_PORT = 8080;
const ANNOUNCE_BASE = 20000;
/** Instances of one service (R). */
export const REPLICAS = 10;

export interface Layout {
  readonly hosts: number;
  readonly servicesPerHost: number;
  /**
   * With `--routed K`: every K-th service (svc-0000, svc-000K, ...) has a route on the gateway, which runs with
   * `--only-routed` and renders those alone. Undefined: the gateway renders every service.
   */
  readonly routedEvery?: number | undefined;
}

/** One service instance: the service it belongs to, the host port it announces and its record's key. */
export interface Instance {
  readonly host: number;
  /** Its index on the host (0..S-1). */
  readonly slot: number;
  readonly service: string;
  readonly port: number;
}

/** Services in the domain: N x S / R. */
export function serviceCount(l: Layout): number {
  return (l.hosts / REPLICAS) * l.servicesPerHost;
}

export function hostName(h: number): string {
  return `host-${String(h).padStart(4, '0')}`;
}

/** The host's private address, as its records carry it (10.0.0.0/8, never contacted). */
export function hostAddress(h: number): string {
  return `10.${(h >> 16) & 255}.${(h >> 8) & 255}.${h & 255}`;
}

export function serviceName(index: number): string {
  return `svc-${String(index).padStart(4, '0')}`;
}

/** Whether the gateway renders the instance's service (every one, unless only the routed ones). */
export function isRendered(l: Layout, i: Instance): boolean {
  return l.routedEvery === undefined || Number(i.service.slice('svc-'.length)) % l.routedEvery === 0;
}

/** The services that have a route on the gateway (none unless `routedEvery`). */
export function routedServices(l: Layout): string[] {
  if (l.routedEvery === undefined) return [];
  const every = l.routedEvery;
  return Array.from({ length: Math.ceil(serviceCount(l) / every) }, (_, k) => serviceName(k * every));
}

/** Instances of `hosts` whose servers are in the gateway's file. */
export function renderedOn(l: Layout, hosts: Iterable<number>): number {
  let n = 0;
  for (const h of hosts) n += instancesOf(l, h).filter((i) => isRendered(l, i)).length;
  return n;
}

/** The S instances host `h` runs. */
export function instancesOf(l: Layout, h: number): Instance[] {
  const position = h % (l.hosts / REPLICAS);
  return Array.from({ length: l.servicesPerHost }, (_, slot) => ({
    host: h,
    slot,
    service: serviceName(position * l.servicesPerHost + slot),
    port: ANNOUNCE_BASE + slot,
  }));
}

/** The hosts of one group (N / R consecutive hosts, a tenth of them): the middle one, hosts N/2 .. N/2 + N/10 - 1. */
export function middleGroup(l: Layout): number[] {
  const size = l.hosts / REPLICAS;
  return Array.from({ length: size }, (_, i) => l.hosts / 2 + i);
}

/** The registry key of an instance's record. */
export function instanceKeyOf(i: Instance): string {
  return recordKey(DOMAIN, i.service, hostName(i.host));
}

/** The DNS name of one instance: `<host>.<service>.<domain>`. */
export function instanceName(i: Instance): string {
  return `${hostName(i.host)}.${i.service}.${DOMAIN}`;
}

/** How the instance appears in the gateway's file: `server <address>:<port>;`. */
export function serverLine(i: Instance): string {
  return `server ${hostAddress(i.host)}:${i.port};`;
}
