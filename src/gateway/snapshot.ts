/**
 * What the gateway renders from: every service of one domain with the addresses its instances announced.
 * Built from raw registry entries (key, value) through the one owner of the SkyDNS format (parseRecordKey,
 * decodeRecord); pure, so the same records always give the same snapshot, in the same order.
 */
import { isIP } from 'node:net';
import { parseRecordKey } from '../registry/path.js';
import { decodeRecord } from '../registry/record.js';

/** One announced instance of a service: where nginx sends requests. */
export interface UpstreamInstance {
  /** The host label of the record key (`node-back-1`), with a redeploy's second instance after it (`node-back-1/3f2a7b9c0d1e`). */
  readonly instance: string;
  /** The announced IP address (IPv4, or IPv6 without brackets). */
  readonly address: string;
  readonly port: number;
  /** SRV weight from the record, when it has one; becomes nginx's `weight=`. */
  readonly weight?: number;
}

/** Every service with at least one usable record, by name, sorted; each service's instances sorted by instance name. */
export interface UpstreamSnapshot {
  readonly services: ReadonlyMap<string, readonly UpstreamInstance[]>;
}

/** Why a record under the domain does not become an upstream server. */
export type SkipReason = 'invalid' | 'text_only' | 'no_port' | 'host_name' | 'not_a_service_key';

/** A record left out of the snapshot, with the reason (counted in metrics and logged). */
export interface SkippedRecord {
  readonly key: string;
  readonly reason: SkipReason;
  readonly detail: string;
}

/** The snapshot of `entries` (keys and values under the domain), and the records it had to leave out. */
export function snapshotFromRecords(
  domain: string,
  entries: Iterable<readonly [string, string]>,
): { snapshot: UpstreamSnapshot; skipped: SkippedRecord[] } {
  const byService = new Map<string, UpstreamInstance[]>();
  const skipped: SkippedRecord[] = [];
  for (const [key, value] of entries) {
    const result = parseRecord(domain, key, value);
    if ('reason' in result) {
      skipped.push(result);
      continue;
    }
    const list = byService.get(result.service) ?? [];
    list.push(result.instance);
    byService.set(result.service, list);
  }
  const services = new Map<string, readonly UpstreamInstance[]>();
  for (const name of [...byService.keys()].sort()) services.set(name, uniqueSorted(byService.get(name) ?? []));
  return { snapshot: { services }, skipped };
}

/** The address as nginx writes it in `server ADDRESS:PORT`: IPv6 in brackets. */
export function hostPort(instance: UpstreamInstance): string {
  return isIP(instance.address) === 6
    ? `[${instance.address}]:${instance.port}`
    : `${instance.address}:${instance.port}`;
}

/** One record as the snapshot takes it: an instance of a service, or a record left out with the reason. */
export type ParsedRecord = { service: string; instance: UpstreamInstance } | SkippedRecord;

/** Parses one record (key and value under `domain`) into an instance, or the reason it is left out. */
export function parseRecord(domain: string, key: string, value: string): ParsedRecord {
  const parsed = parseRecordKey(domain, key);
  if (parsed === undefined)
    return { key, reason: 'not_a_service_key', detail: 'not /skydns/<domain>/<service>/<host>[/<instance>]' };
  const decoded = decodeRecord(value);
  if (!decoded.ok) return { key, reason: 'invalid', detail: decoded.error.message };
  const { host, port, weight } = decoded.record;
  if (host === undefined)
    return {
      key,
      reason: 'text_only',
      detail: 'a TXT record (text, no host): DNS serves it, nginx has no address in it',
    };
  if (port === undefined) return { key, reason: 'no_port', detail: 'the record has no port' };
  // A host name would make nginx resolve it while loading the config: one unresolvable name would fail `nginx -t`
  // and block every later change, so only addresses become servers.
  if (isIP(host) === 0) return { key, reason: 'host_name', detail: `host ${host} is a name, not an address` };
  const name = parsed.instance === undefined ? parsed.host : `${parsed.host}/${parsed.instance}`;
  const instance: UpstreamInstance =
    weight === undefined ? { instance: name, address: host, port } : { instance: name, address: host, port, weight };
  return { service: parsed.service, instance };
}

/** Sorted by instance name then address; one server per address (two records of one address would double its weight). */
export function uniqueSorted(instances: readonly UpstreamInstance[]): UpstreamInstance[] {
  const sorted = [...instances].sort((a, b) => cmp(a.instance, b.instance) || cmp(hostPort(a), hostPort(b)));
  const seen = new Set<string>();
  return sorted.filter((instance) => {
    const address = hostPort(instance);
    if (seen.has(address)) return false;
    seen.add(address);
    return true;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
