/**
 * The in-memory view of one domain's SkyDNS records: a trie of DNS labels, walked from the zone apex down
 * (`com/example/prod/s` is the root, `influxdb` a child, `node-back-1` its child), so that a name answers with every
 * record at or below its node, as SkyDNS and CoreDNS's etcd plugin answer from a recursive etcd prefix get.
 * Queries never touch etcd: the feeds (registry/feed-etcd.ts, registry/feed-embedded.ts) keep this view current.
 */
import { isIP } from 'node:net';
import { domainLabels, domainPrefix, nameOfKey } from '../../registry/path.js';
import { decodeRecord, type SkydnsRecord } from '../../registry/record.js';
import { collect, matchWildcard, prune, TrieNode, walk, WILDCARDS } from './trie.js';

/** One decoded record, ready to answer from. */
export interface ZoneEntry {
  /** The registry key, as stored. */
  readonly key: string;
  /** The name the key answers for, lowercase, without trailing dot (`node-back-1.influxdb.s.prod.example.com`). */
  readonly name: string;
  readonly record: SkydnsRecord;
  /** 4 or 6 for an address host (an IPv4-mapped IPv6 address counts as 4, as Go's To4 says), else 0. */
  readonly family: 0 | 4 | 6;
  /** The address to answer with (`host`, or the IPv4 part of a mapped address); empty for anything else. */
  readonly address: string;
  /**
   * What the record answers as, as CoreDNS's msg.Service.HostType decides it: an address host is `A` or `AAAA`; a
   * host that is no address (a name, or none) is `TXT` when the record has text, else `CNAME`. So a record with
   * only `text`, or a name and text, answers TXT queries and no others; an address record's text is never answered.
   */
  readonly hostType: 'A' | 'AAAA' | 'CNAME' | 'TXT';
  /** Labels below the apex; CoreDNS's Group compares key lengths, which this orders the same way. */
  readonly depth: number;
}

/** What a name matched: every record at or below it, and those exactly at it. */
export interface ZoneMatch {
  readonly records: readonly ZoneEntry[];
  readonly exact: readonly ZoneEntry[];
}

/** Called for a value that is not a valid record (skipped) or a key that maps to no valid name. */
export type BadRecordHandler = (key: string, reason: string) => void;

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
const NONE: readonly ZoneEntry[] = Object.freeze([]);

/**
 * One domain's records. Updates cost O(depth); lookups are case-insensitive. Keys outside the domain are ignored;
 * values that do not decode are skipped and reported, and drop the key's previous record: the view is the registry
 * minus its invalid records, never an older value.
 */
export class ZoneIndex {
  /** The zone apex, lowercase, without trailing dot. */
  readonly domain: string;
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly apexLabels: number;
  private root = new TrieNode<ZoneEntry>();
  private changes = 0;

  constructor(
    domain: string,
    private readonly options: { onBadRecord?: BadRecordHandler } = {},
  ) {
    const labels = domainLabels(domain.toLowerCase());
    this.domain = labels.join('.');
    this.prefix = domainPrefix(this.domain);
    this.suffix = `.${this.domain}`;
    this.apexLabels = labels.length;
  }

  /** Records held. */
  get size(): number {
    return this.root.count;
  }

  /** Counts every update: an answer computed at one value is still right while it stays the same. */
  get generation(): number {
    return this.changes;
  }

  /** Replaces the whole view (a full load or reload); on an unexpected error the previous view stays. */
  replaceAll(entries: Iterable<[key: string, value: string]>): void {
    this.changes++;
    const previous = this.root;
    this.root = new TrieNode<ZoneEntry>();
    try {
      for (const [key, value] of entries) this.put(key, value);
    } catch (error) {
      this.root = previous;
      throw error;
    }
  }

  /** Adds or replaces the record of `key`. */
  put(key: string, value: string): void {
    const located = this.locate(key);
    if (located === undefined) return;
    this.changes++;
    const decoded = decodeRecord(value);
    if (!decoded.ok) {
      this.remove(located.path);
      this.options.onBadRecord?.(key, decoded.error.message);
      return;
    }
    this.insert(located.path, entryOf(key, located, decoded.record));
  }

  /** Removes the record of `key`, if held. */
  delete(key: string): void {
    const located = this.locate(key);
    if (located === undefined) return;
    this.changes++;
    this.remove(located.path);
  }

  /** True when `name` (any case, trailing dot or not) is the apex or below it. */
  inZone(name: string): boolean {
    const lower = trimDot(name).toLowerCase();
    return lower === this.domain || lower.endsWith(this.suffix);
  }

  /**
   * The records `name` answers with, or undefined when no such name exists (NXDOMAIN). The apex always exists.
   * `*` and `any` labels match any one label. `limit` bounds the records gathered for a wildcard (a DNS message
   * cannot carry more than about a thousand anyway); an exact name returns its full, cached list.
   */
  find(name: string, limit = Number.POSITIVE_INFINITY): ZoneMatch | undefined {
    const labels = this.relativeLabels(name);
    if (labels === undefined) return undefined;
    if (!labels.some((l) => WILDCARDS.has(l))) return exactMatch(walk(this.root, labels));
    const nodes: TrieNode<ZoneEntry>[] = [];
    matchWildcard(this.root, labels, 0, nodes);
    if (nodes.length === 0) return undefined;
    const records: ZoneEntry[] = [];
    const exact: ZoneEntry[] = [];
    for (const node of nodes) {
      if (node.entry !== undefined) exact.push(node.entry);
      collect(node, records, limit);
    }
    return { records, exact };
  }

  /** Labels of `name` below the apex, top-down (`a.b.<domain>` -> [b, a]); undefined outside the zone. */
  private relativeLabels(name: string): string[] | undefined {
    const lower = trimDot(name).toLowerCase();
    if (lower === this.domain) return [];
    if (!lower.endsWith(this.suffix)) return undefined;
    return lower
      .slice(0, lower.length - this.suffix.length)
      .split('.')
      .reverse();
  }

  /** The name of a key and its trie path (labels below the apex, top-down); undefined for a key to ignore. */
  private locate(key: string): Located | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    let labels: string[];
    try {
      labels = nameOfKey(key).toLowerCase().split('.');
    } catch (error) {
      this.options.onBadRecord?.(key, error instanceof Error ? error.message : String(error));
      return undefined;
    }
    const path = labels.slice(0, labels.length - this.apexLabels).reverse();
    // dns-packet writes a label's length in one byte: a longer label would corrupt every answer that carries it.
    const bad = path.find((l) => l.length === 0 || Buffer.byteLength(l) > 63);
    const name = labels.join('.');
    if (path.length === 0 || bad !== undefined || name.length > 253) {
      this.options.onBadRecord?.(key, 'key does not map to a valid DNS name (labels of 1-63 bytes, 253 in all)');
      return undefined;
    }
    return { name, path };
  }

  private insert(path: string[], entry: ZoneEntry): void {
    const trail: TrieNode<ZoneEntry>[] = [this.root];
    let node = this.root;
    for (const label of path) {
      node.children ??= new Map();
      let child = node.children.get(label);
      if (child === undefined) node.children.set(label, (child = new TrieNode<ZoneEntry>()));
      node = child;
      trail.push(node);
    }
    const added = node.entry === undefined ? 1 : 0;
    node.entry = entry;
    for (const n of trail) {
      n.count += added;
      n.cached = undefined;
    }
  }

  private remove(path: string[]): void {
    const trail: TrieNode<ZoneEntry>[] = [this.root];
    let node: TrieNode<ZoneEntry> | undefined = this.root;
    for (const label of path) {
      node = node.children?.get(label);
      if (node === undefined) return;
      trail.push(node);
    }
    if (node.entry === undefined) return;
    node.entry = undefined;
    for (const n of trail) {
      n.count -= 1;
      n.cached = undefined;
    }
    prune(trail, path);
  }
}

interface Located {
  name: string;
  path: string[];
}

function entryOf(key: string, { name, path }: Located, record: SkydnsRecord): ZoneEntry {
  const depth = path.length;
  const host = record.host ?? '';
  const mapped = MAPPED_V4.exec(host)?.[1];
  if (mapped !== undefined && isIP(mapped) === 4)
    return { key, name, record, family: 4, address: mapped, hostType: 'A', depth };
  const kind = isIP(host);
  if (kind !== 0)
    return { key, name, record, family: kind === 4 ? 4 : 6, address: host, hostType: kind === 4 ? 'A' : 'AAAA', depth };
  return { key, name, record, family: 0, address: '', hostType: record.text === undefined ? 'CNAME' : 'TXT', depth };
}

function exactMatch(node: TrieNode<ZoneEntry> | undefined): ZoneMatch | undefined {
  if (node === undefined) return undefined;
  if (node.cached === undefined) collect(node, (node.cached = []), Number.POSITIVE_INFINITY);
  return { records: node.cached, exact: node.entry === undefined ? NONE : [node.entry] };
}

function trimDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
