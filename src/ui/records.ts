/**
 * Registry entries -> the cluster view the page is built from: host records (/rundock/hosts/<host>), the domain's
 * DNS records (/skydns/...) and gateway reports (/rundock/gateways/<host>). Pure; an unreadable entry is skipped and
 * its key reported, never its value.
 */
import * as z from 'zod';
import { decodeRecord } from '../registry/record.js';
import { GATEWAYS_PREFIX, HOSTS_PREFIX, parseRecordKey } from '../registry/path.js';
import { decodeServingReport, type ServingReport } from '../registry/serving-report.js';

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
      /** The new container of an overlapping redeploy, announced beside the service's current one. */
      successor: z.boolean().optional(),
      announced: z.boolean(),
      reason: z.string(),
      address: z.string().optional(),
    }),
  ),
});
export type HostRecordView = z.infer<typeof hostRecordSchema>;

/** A gateway's report (src/registry/serving-report.ts): each rendered service's servers, `ip:port`. */
export type GatewayReport = ServingReport;

/** One DNS record of the domain in rundock's layout: `<service>.<domain>` from `host`, answering with `target`. */
export interface DnsEntry {
  service: string;
  host: string;
  /** A redeploy's second instance on the host (the new container's short ID), below the host's record. */
  instance?: string | undefined;
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
    if (key.startsWith(HOSTS_PREFIX)) {
      const parsed = hostRecordSchema.safeParse(parseJson(value));
      keep(key, HOSTS_PREFIX, parsed.success ? parsed.data : undefined, view.hosts, view.skipped);
    } else if (key.startsWith(GATEWAYS_PREFIX)) {
      keep(key, GATEWAYS_PREFIX, decodeServingReport(value), view.gateways, view.skipped);
    } else readDns(domain, key, value, view);
  }
  view.hosts.sort((a, b) => compare(a.host, b.host));
  view.gateways.sort((a, b) => compare(a.host, b.host));
  view.dns.sort(
    (a, b) => compare(a.service, b.service) || compare(a.host, b.host) || compare(a.instance ?? '', b.instance ?? ''),
  );
  view.skipped.sort(compare);
  return view;
}

/** A value read under `prefix<label>` is kept when its `host` equals the label (a copied key is not trusted). */
function keep<T extends { host: string }>(
  key: string,
  prefix: string,
  value: T | undefined,
  into: T[],
  skipped: string[],
): void {
  const label = key.slice(prefix.length);
  if (value !== undefined && LABEL.test(label) && value.host === label) into.push(value);
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
  if (host === undefined) return; // a TXT record (text only): DNS answers it, it names no instance
  // As the agent writes a host record's `address`, so the two compare equal.
  const target = port === undefined ? host : `${host}:${port}`;
  view.dns.push({ service: where.service, host: where.host, instance: where.instance, target });
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
