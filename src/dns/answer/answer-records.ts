/**
 * Resource records synthesized from SkyDNS records, as CoreDNS's etcd plugin builds them
 * (plugin/backend_lookup.go, plugin/etcd/msg/service.go). Where CoreDNS and SkyDNS 2 differ, CoreDNS wins.
 */
import type { Answer } from 'dns-packet';
import type { ZoneEntry, ZoneIndex } from './zone-index.js';

/** What the record builders need besides the index. */
export interface BuildContext {
  readonly index: ZoneIndex;
  /** TTL of a record without `ttl`. */
  readonly defaultTtl: number;
  /** Round-robin offset: lists start at entry `rotation % length`. */
  readonly rotation: number;
  /** Most records one answer considers. */
  readonly maxRecords: number;
}

/** SRV priority and MX preference of a record without `priority`: CoreDNS's etcd plugin default. */
export const DEFAULT_PRIORITY = 10;
/** SRV weight of a record without `weight` before normalisation: CoreDNS's and SkyDNS's default. */
export const DEFAULT_WEIGHT = 100;
/** CNAMEs followed inside the zone before giving up (CoreDNS and SkyDNS stop after 8). */
const MAX_CHAIN = 8;

/** The TTL an answer from `entry` carries. */
export function ttlOf(entry: ZoneEntry, ctx: BuildContext): number {
  return entry.record.ttl ?? ctx.defaultTtl;
}

/** `entries` in the answer order of this query: rotated for round robin, at most ctx.maxRecords of them. */
function ordered(entries: readonly ZoneEntry[], ctx: BuildContext): readonly ZoneEntry[] {
  const n = entries.length;
  if (n < 2) return entries;
  const start = ctx.rotation % n;
  const count = Math.min(n, ctx.maxRecords);
  const out: ZoneEntry[] = new Array<ZoneEntry>(count);
  for (let i = 0; i < count; i++) out[i] = entries[(start + i) % n] as ZoneEntry;
  return out;
}

/**
 * A or AAAA answers for `owner` from `entries`. A host name gives a CNAME; inside the zone it is followed and the
 * CNAME is kept only if it leads to addresses (CoreDNS); outside the zone the CNAME is answered alone and the
 * client's resolver follows it (CoreDNS asks its upstream instead: this server does not recurse).
 * A CNAME to the name itself or below it is a loop in SkyDNS semantics and is skipped, as CoreDNS does.
 * TXT records (text and no address) answer nothing here.
 */
export function addressAnswers(
  owner: string,
  entries: readonly ZoneEntry[],
  family: 4 | 6,
  ctx: BuildContext,
  chain: string[] = [],
): Answer[] {
  const out: Answer[] = [];
  const seen = new Set<string>();
  const follow = (target: string, records: readonly ZoneEntry[], next: string[]): Answer[] =>
    addressAnswers(target, records, family, ctx, next);
  for (const entry of ordered(entries, ctx)) {
    if (entry.family === family) {
      if (seen.has(entry.address)) continue;
      seen.add(entry.address);
      out.push({ name: owner, type: family === 4 ? 'A' : 'AAAA', ttl: ttlOf(entry, ctx), data: entry.address });
    } else if (entry.hostType === 'CNAME') {
      out.push(...cnameAnswers(owner, entry, ctx, chain, follow));
    }
  }
  return out;
}

/** Answers for a CNAME's target inside the zone, from its records; `chain` holds the names followed so far. */
type Follow = (target: string, records: readonly ZoneEntry[], chain: string[]) => Answer[];

/** The CNAME `entry` makes for `owner`, followed inside the zone by `follow` (kept only if that answers something). */
function cnameAnswers(owner: string, entry: ZoneEntry, ctx: BuildContext, chain: string[], follow: Follow): Answer[] {
  const host = bare(entry.record.host ?? '');
  const target = host.toLowerCase();
  if (isAtOrBelow(target, owner.toLowerCase()) || chain.length >= MAX_CHAIN || chain.includes(target)) return [];
  const cname: Answer = { name: owner, type: 'CNAME', ttl: ttlOf(entry, ctx), data: host };
  if (!ctx.index.inZone(target)) return [cname];
  const match = ctx.index.find(target, ctx.maxRecords);
  const next = match === undefined ? [] : follow(host, match.records, [...chain, target]);
  return next.length === 0 ? [] : [cname, ...next];
}

/** Answers and additional records of an SRV (or MX) query. */
export interface WithAdditionals {
  answers: Answer[];
  additionals: Answer[];
}

/**
 * SRV answers, as CoreDNS computes them: priority from the record (10 when absent); weights normalised per
 * priority to `floor(100 * weight / sum of weights)` with 100 for an absent weight and at least 1; port as is.
 * The target of an address record is its key's name (`node-back-1.influxdb.<domain>`), with the address in the
 * additional section; the target of a host-name record is that name, with its in-zone A and AAAA records added
 * (CoreDNS adds only A; AAAA too is what its TODO asks for). Duplicate target+port pairs are answered once.
 */
export function srvAnswers(owner: string, entries: readonly ZoneEntry[], ctx: BuildContext): WithAdditionals {
  const list = ordered(entries, ctx);
  const totals = new Map<number, number>();
  for (const e of list)
    totals.set(priorityOf(e), (totals.get(priorityOf(e)) ?? 0) + (e.record.weight ?? DEFAULT_WEIGHT));
  const out: WithAdditionals = { answers: [], additionals: [] };
  const seen = new Set<string>();
  for (const entry of list) {
    // A TXT record counts in the weights above but is no SRV target (CoreDNS: no case for it in SRV).
    if (entry.hostType === 'TXT') continue;
    const target = targetOf(entry);
    const port = entry.record.port ?? 0;
    if (seen.has(`${target} ${port}`)) continue;
    seen.add(`${target} ${port}`);
    const total = totals.get(priorityOf(entry)) ?? DEFAULT_WEIGHT;
    const weight = Math.max(1, Math.floor((100 / total) * (entry.record.weight ?? DEFAULT_WEIGHT)));
    const data = { priority: priorityOf(entry), weight, port, target };
    out.answers.push({ name: owner, type: 'SRV', ttl: ttlOf(entry, ctx), data });
    addTargetAddresses(entry, target, ctx, out.additionals, seen);
  }
  return out;
}

/** MX answers from records with `mail`, as CoreDNS: preference is the priority, the exchange as an SRV target. */
export function mxAnswers(owner: string, entries: readonly ZoneEntry[], ctx: BuildContext): WithAdditionals {
  const out: WithAdditionals = { answers: [], additionals: [] };
  const seen = new Set<string>();
  for (const entry of ordered(entries, ctx)) {
    if (entry.record.mail !== true || entry.hostType === 'TXT') continue;
    const exchange = targetOf(entry);
    if (seen.has(exchange)) continue;
    seen.add(exchange);
    out.answers.push({
      name: owner,
      type: 'MX',
      ttl: ttlOf(entry, ctx),
      data: { preference: priorityOf(entry), exchange },
    });
    addTargetAddresses(entry, exchange, ctx, out.additionals, seen);
  }
  return out;
}

/**
 * TXT answers, as CoreDNS's TXT: a TXT record (text and no address host) answers its text, split in 255-byte
 * strings (split255), each text once; a host name without text is a CNAME, followed inside the zone as for A; an
 * address record answers nothing, whatever its text.
 */
export function txtAnswers(
  owner: string,
  entries: readonly ZoneEntry[],
  ctx: BuildContext,
  chain: string[] = [],
): Answer[] {
  const out: Answer[] = [];
  const seen = new Set<string>();
  const follow = (target: string, records: readonly ZoneEntry[], next: string[]): Answer[] =>
    txtAnswers(target, records, ctx, next);
  for (const entry of ordered(entries, ctx)) {
    if (entry.hostType === 'CNAME') out.push(...cnameAnswers(owner, entry, ctx, chain, follow));
    const text = entry.record.text;
    if (entry.hostType !== 'TXT' || text === undefined || seen.has(text)) continue;
    seen.add(text);
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 255) chunks.push(bytes.subarray(at, at + 255));
    out.push({ name: owner, type: 'TXT', ttl: ttlOf(entry, ctx), data: chunks });
  }
  return out;
}

/** The address records of `target` for the additional section: the entry's own address, or in-zone lookups. */
function addTargetAddresses(
  entry: ZoneEntry,
  target: string,
  ctx: BuildContext,
  additionals: Answer[],
  seen: Set<string>,
): void {
  if (entry.family !== 0) {
    if (seen.has(`${target} @${entry.address}`)) return;
    seen.add(`${target} @${entry.address}`);
    additionals.push({
      name: target,
      type: entry.family === 4 ? 'A' : 'AAAA',
      ttl: ttlOf(entry, ctx),
      data: entry.address,
    });
    return;
  }
  if (seen.has(`${target} @`) || !ctx.index.inZone(target)) return;
  seen.add(`${target} @`);
  const match = ctx.index.find(target, ctx.maxRecords);
  if (match === undefined) return;
  additionals.push(...addressAnswers(target, match.records, 4, ctx), ...addressAnswers(target, match.records, 6, ctx));
}

function priorityOf(entry: ZoneEntry): number {
  return entry.record.priority ?? DEFAULT_PRIORITY;
}

/** SRV target / MX exchange: the key's name for an address, else the host; minus `targetstrip` leading labels. */
function targetOf(entry: ZoneEntry): string {
  const name = entry.family === 0 ? bare(entry.record.host ?? '') : entry.name;
  const strip = entry.record.targetstrip ?? 0;
  if (strip === 0) return name;
  const labels = name.split('.');
  // CoreDNS keeps the whole name when asked to strip as many labels as it has, or more.
  return strip >= labels.length ? name : labels.slice(strip).join('.');
}

function bare(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** True when `name` equals `base` or is below it (both lowercase, no trailing dot). */
function isAtOrBelow(name: string, base: string): boolean {
  return name === base || name.endsWith(`.${base}`);
}
