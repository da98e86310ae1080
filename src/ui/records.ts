/**
 * Registry entries -> the cluster view the page is built from: host records (/rundock/hosts/<host>), the domain's
 * DNS records (/skydns/...) and gateway reports (/rundock/gateways/<host>). Pure; an unreadable entry is skipped and
 * its key reported, never its value.
 */
import { z } from 'zod';
import { decodeRecord } from '../registry/record.js';
import { HOSTS_PREFIX, parseRecordKey } from '../registry/path.js';

/** Where gateways report what they applied (written by the gateway, one key per gateway host). */
export const GATEWAYS_PREFIX = '/rundock/gateways/';
/** rundock's own subtree: host records and gateway reports. */
export const RUNDOCK_PREFIX = '/rundock/';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The host record as the page reads it (the agent writes it: HostRecord in src/agent/announce.ts, docs/records.md).
 * Unknown fields are dropped here, so nothing the agent adds later reaches the browser unseen.
 */
export const hostRecordSchema = z.object({
  host: z.string(),
  addresses: z.object({ public: z.string().optional(), private: z.string().optional() }),
  version: z.string(),
  started_at: z.string(),
  services: z.array(
    z.object({
      service: z.string(),
      container: z.string(),
      image: z.string(),
      state: z.enum(['running', 'restarting', 'stopped']),
      health: z.string().optional(),
      restarts: z.number().int().nonnegative(),
      announced: z.boolean(),
      reason: z.string(),
      address: z.string().optional(),
    }),
  ),
});
export type HostRecordView = z.infer<typeof hostRecordSchema>;

/** A gateway's report of the upstreams it applied: `{"host", "revision", "applied_at", "upstreams": {name: ["ip:port"]}}`. */
export const gatewayReportSchema = z.object({
  host: z.string(),
  revision: z.number().int().nonnegative(),
  applied_at: z.string(),
  upstreams: z.record(z.string(), z.array(z.string())),
});
export type GatewayReport = z.infer<typeof gatewayReportSchema>;

/** One DNS record of the domain in rundock's layout: `<service>.<domain>` from `host`, answering with `target`. */
export interface DnsEntry {
  service: string;
  host: string;
  target: string;
}

export interface ClusterView {
  /** Sorted by host name. */
  hosts: HostRecordView[];
  /** Sorted by service, then host. */
  dns: DnsEntry[];
  /** Sorted by gateway host. */
  gateways: GatewayReport[];
  /** Keys that could not be read, sorted. */
  skipped: string[];
}

/** Reads every entry of `domain`'s DNS subtree and of /rundock/; other keys are ignored. */
export function clusterView(domain: string, entries: Iterable<readonly [string, string]>): ClusterView {
  const view: ClusterView = { hosts: [], dns: [], gateways: [], skipped: [] };
  for (const [key, value] of entries) {
    if (key.startsWith(HOSTS_PREFIX)) readKeyed(key, HOSTS_PREFIX, value, hostRecordSchema, view.hosts, view.skipped);
    else if (key.startsWith(GATEWAYS_PREFIX))
      readKeyed(key, GATEWAYS_PREFIX, value, gatewayReportSchema, view.gateways, view.skipped);
    else readDns(domain, key, value, view);
  }
  view.hosts.sort((a, b) => compare(a.host, b.host));
  view.gateways.sort((a, b) => compare(a.host, b.host));
  view.dns.sort((a, b) => compare(a.service, b.service) || compare(a.host, b.host));
  view.skipped.sort(compare);
  return view;
}

/** A JSON value under `prefix<label>` whose `host` field must equal the label (a copied key is not trusted). */
function readKeyed<T extends { host: string }>(
  key: string,
  prefix: string,
  value: string,
  schema: z.ZodType<T>,
  into: T[],
  skipped: string[],
): void {
  const label = key.slice(prefix.length);
  const parsed = LABEL.test(label) ? schema.safeParse(parseJson(value)) : undefined;
  if (parsed?.success === true && parsed.data.host === label) into.push(parsed.data);
  else skipped.push(key);
}

function readDns(domain: string, key: string, value: string, view: ClusterView): void {
  const where = parseRecordKey(domain, key);
  if (where === undefined) return;
  const decoded = decodeRecord(value);
  if (!decoded.ok) {
    view.skipped.push(key);
    return;
  }
  const { host, port } = decoded.record;
  // As the agent writes a host record's `address`, so the two compare equal.
  const target = port === undefined ? host : `${host}:${port}`;
  view.dns.push({ service: where.service, host: where.host, target });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Code-point order: the same on every machine, unlike localeCompare. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
