/**
 * Encoded answers by query, so a repeated question skips decoding, answering and encoding (most of a query's cost in
 * JavaScript; the rest is the socket). The key is the query's bytes after its id: flags, question as spelled, EDNS
 * options and the transport decide the answer, and nothing else does while the zones do not change. Any zone change
 * (or a new SOA serial) empties the cache.
 *
 * Round-robin survives: a name's answer is computed at consecutive rotations and each variant kept until one equals
 * the first (the cycle is complete, one variant per record), then the variants are served in turn. A name with more
 * records than MAX_VARIANTS is never cached, so every instance still comes first in turn.
 *
 * Only queries seen twice within about DOORKEEPER_SLOTS queries are admitted (a direct-mapped table of recent
 * hashes), so a client walking through many more names than the cache holds costs a hash and no allocation,
 * instead of filling and churning the cache. Kept bytes are copied out of Node's shared 8 KiB buffer pool
 * (allocUnsafeSlow): a long-lived small slice of the pool would keep its whole slab alive.
 */
import type { Transport } from './handler.js';

/** Queries longer than this (large EDNS options, cookies) are answered without the cache. */
const MAX_QUERY_BYTES = 300;
const MAX_VARIANTS = 16;
const DOORKEEPER_SLOTS = 1 << 14;

export interface CachedAnswer {
  readonly qtype: string;
  readonly rcode: number;
}

/** A cached answer, or the rotation to compute it at and whether to store() it. */
export type Lookup = { bytes: Buffer; answer: CachedAnswer } | { bytes: undefined; rotation: number; store: boolean };

interface Entry extends CachedAnswer {
  /** The query's bytes after the id, and its transport: a hash collision is told apart here. */
  readonly query: Buffer;
  readonly transport: Transport;
  readonly variants: Buffer[];
  /** The rotation of the first variant; variant i was computed at base + i. */
  readonly base: number;
  complete: boolean;
  /** More variants than MAX_VARIANTS: always computed. */
  uncacheable: boolean;
  next: number;
}

/** A bounded map from query to its answer's variants, valid for one zone state. */
export class AnswerCache {
  private readonly entries = new Map<number, Entry>();
  private serial = -1;
  private generation = -1;
  private readonly doorkeeper = new Uint32Array(DOORKEEPER_SLOTS);

  constructor(private readonly maxEntries = 20_000) {}

  /**
   * The cache key of a query, or undefined when it is not to be cached. `serial` (the SOA serial) and `generation`
   * (the zones' update count) change whenever an answer could; then the cache starts empty.
   */
  keyOf(raw: Buffer, transport: Transport, serial: number, generation: number): number | undefined {
    if (raw.length > MAX_QUERY_BYTES || raw.length < 17) return undefined;
    if (serial !== this.serial || generation !== this.generation) {
      this.entries.clear();
      this.serial = serial;
      this.generation = generation;
    }
    // FNV-1a over the bytes after the id: no string to build and hash for every query.
    let hash = transport === 'udp' ? 0x811c9dc5 : 0x050c5d1f;
    for (let i = 2; i < raw.length; i++) hash = Math.imul(hash ^ (raw[i] as number), 0x01000193);
    return hash >>> 0;
  }

  /**
   * The next variant of the answer for `key` under the id of `raw`, or the rotation to compute it at: `next` (the
   * caller's own round-robin counter) unless the name's cycle of variants is being filled.
   */
  lookup(key: number, raw: Buffer, transport: Transport, next: number): Lookup {
    const entry = this.entries.get(key);
    if (entry === undefined) return { bytes: undefined, rotation: next, store: this.admit(key) };
    // Another query with the same hash, or too many variants: answered without the cache.
    if (entry.uncacheable || !sameQuery(entry, raw, transport))
      return { bytes: undefined, rotation: next, store: false };
    if (!entry.complete) return { bytes: undefined, rotation: entry.base + entry.variants.length, store: true };
    const variant = entry.variants[entry.next] as Buffer;
    entry.next = (entry.next + 1) % entry.variants.length;
    const bytes = Buffer.allocUnsafe(variant.length);
    variant.copy(bytes);
    raw.copy(bytes, 0, 0, 2);
    return { bytes, answer: entry };
  }

  /** True the second time `key` comes while its slot still remembers it. */
  private admit(key: number): boolean {
    const slot = key & (DOORKEEPER_SLOTS - 1);
    if (this.doorkeeper[slot] === key) return true;
    this.doorkeeper[slot] = key;
    return false;
  }

  /** Keeps the answer computed at the rotation lookup() gave. */
  store(key: number, raw: Buffer, transport: Transport, rotation: number, bytes: Buffer, answer: CachedAnswer): void {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as number);
      entry = {
        ...answer,
        query: kept(raw.subarray(2)),
        transport,
        variants: [],
        base: rotation,
        complete: false,
        uncacheable: false,
        next: 0,
      };
      this.entries.set(key, entry);
    }
    if (!sameQuery(entry, raw, transport)) return;
    if (entry.complete || entry.uncacheable) return;
    const first = entry.variants[0];
    if (first !== undefined && sameAfterId(first, bytes)) {
      // This answer was the first variant again: the next one served is the second.
      entry.complete = true;
      entry.next = 1 % entry.variants.length;
      return;
    }
    if (entry.variants.length === MAX_VARIANTS) {
      entry.uncacheable = true;
      entry.variants.length = 0;
      return;
    }
    entry.variants.push(kept(bytes));
  }

  /** Queries with an entry (tests). */
  get size(): number {
    return this.entries.size;
  }
}

/** A copy in memory of its own (see above). */
function kept(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

function sameQuery(entry: Entry, raw: Buffer, transport: Transport): boolean {
  return entry.transport === transport && entry.query.length === raw.length - 2 && entry.query.compare(raw, 2) === 0;
}

function sameAfterId(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.compare(b, 2, b.length, 2, a.length) === 0;
}
