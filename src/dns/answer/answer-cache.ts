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
 *
 * A hit reads little memory, because at a moderate rate every query finds the caches cold: a complete entry keeps
 * its query and all its variants back to back in one buffer (`packed`), compared and copied in place (serveInto),
 * and nothing is allocated. Measured on this project's machine, one Buffer per variant and one for the query made a
 * hit five times as slow (docs/BENCHMARKS.md, DNS CPU per query).
 */

/** How the message came: decides the size limit of the answer. */
export type Transport = 'udp' | 'tcp';

/** Queries longer than this (large EDNS options, cookies) are answered without the cache. */
const MAX_QUERY_BYTES = 300;
const MAX_VARIANTS = 16;
const DOORKEEPER_SLOTS = 1 << 14;

export interface CachedAnswer {
  readonly qtype: string;
  readonly rcode: number;
}

/** What serveInto() reports: what the answer is, and how many bytes it wrote. */
export interface Served extends CachedAnswer {
  readonly length: number;
}

/** A cached answer, or the rotation to compute it at and whether to store() it. */
export type Lookup = { bytes: Buffer; answer: CachedAnswer } | { bytes: undefined; rotation: number; store: boolean };

interface Entry extends Served {
  readonly transport: Transport;
  /** The query's bytes after the id (a hash collision is told apart here), then, once complete, every variant. */
  packed: Buffer;
  readonly queryLength: number;
  /** While filling: the variants computed so far. Emptied once packed. */
  readonly variants: Buffer[];
  /** Once complete: where variant i ends in `packed` (variant 0 starts at queryLength). */
  ends: number[];
  /** The rotation of the first variant; variant i was computed at base + i. */
  readonly base: number;
  complete: boolean;
  /** More variants than MAX_VARIANTS: always computed. */
  uncacheable: boolean;
  next: number;
  /** The length serveInto() wrote last (an entry is its own result: no object per hit). */
  length: number;
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
    return this.keyAt(raw, 0, raw.length, transport, serial, generation);
  }

  /** keyOf() of the query at `bytes[start, end)` (batched UDP reads queries into one shared buffer). */
  keyAt(
    bytes: Buffer,
    start: number,
    end: number,
    transport: Transport,
    serial: number,
    generation: number,
  ): number | undefined {
    if (end - start > MAX_QUERY_BYTES || end - start < 17) return undefined;
    if (serial !== this.serial || generation !== this.generation) {
      this.entries.clear();
      this.serial = serial;
      this.generation = generation;
    }
    // FNV-1a over the bytes after the id: no string to build and hash for every query.
    let hash = transport === 'udp' ? 0x811c9dc5 : 0x050c5d1f;
    for (let i = start + 2; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
    return hash >>> 0;
  }

  /**
   * Serves the query at `bytes[start, end)` from a complete entry: writes the next variant, under the query's id,
   * into `output` at `at` if it fits in `room` bytes, and returns the entry (its qtype, rcode and the length
   * written). Undefined otherwise, with nothing written (then lookup() says what to compute).
   */
  serveInto(
    key: number,
    bytes: Buffer,
    start: number,
    end: number,
    transport: Transport,
    output: Buffer,
    at: number,
    room: number,
  ): Served | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || !entry.complete || !sameQueryAt(entry, bytes, start, end, transport)) return undefined;
    const variant = entry.next;
    const from = variant === 0 ? entry.queryLength : (entry.ends[variant - 1] as number);
    const to = entry.ends[variant] as number;
    if (to - from > room) return undefined;
    entry.next = variant + 1 === entry.ends.length ? 0 : variant + 1;
    const packed = entry.packed;
    output[at] = bytes[start] as number;
    output[at + 1] = bytes[start + 1] as number;
    for (let i = from + 2, o = at + 2; i < to; i++, o++) output[o] = packed[i] as number;
    entry.length = to - from;
    return entry;
  }

  /**
   * The next variant of the answer for `key` under the id of `raw`, or the rotation to compute it at: `next` (the
   * caller's own round-robin counter) unless the name's cycle of variants is being filled.
   */
  lookup(key: number, raw: Buffer, transport: Transport, next: number): Lookup {
    const entry = this.entries.get(key);
    if (entry === undefined) return { bytes: undefined, rotation: next, store: this.admit(key) };
    // Another query with the same hash, or too many variants: answered without the cache.
    if (entry.uncacheable || !sameQueryAt(entry, raw, 0, raw.length, transport))
      return { bytes: undefined, rotation: next, store: false };
    if (!entry.complete) return { bytes: undefined, rotation: entry.base + entry.variants.length, store: true };
    const variant = entry.next;
    const from = variant === 0 ? entry.queryLength : (entry.ends[variant - 1] as number);
    const bytes = Buffer.allocUnsafe((entry.ends[variant] as number) - from);
    this.serveInto(key, raw, 0, raw.length, transport, bytes, 0, bytes.length);
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
      entry = newEntry(raw, transport, rotation, answer);
      this.entries.set(key, entry);
    }
    if (!sameQueryAt(entry, raw, 0, raw.length, transport)) return;
    if (entry.complete || entry.uncacheable) return;
    const first = entry.variants[0];
    if (first !== undefined && sameAfterId(first, bytes)) {
      // This answer was the first variant again: the cycle is complete, and the next one served is the second.
      pack(entry);
      entry.next = 1 % entry.ends.length;
      return;
    }
    if (entry.variants.length === MAX_VARIANTS) {
      entry.uncacheable = true;
      entry.variants.length = 0;
      return;
    }
    entry.variants.push(kept(bytes, 0));
  }

  /** Queries with an entry (tests). */
  get size(): number {
    return this.entries.size;
  }
}

function newEntry(raw: Buffer, transport: Transport, rotation: number, answer: CachedAnswer): Entry {
  return {
    qtype: answer.qtype,
    rcode: answer.rcode,
    transport,
    packed: kept(raw, 2),
    queryLength: raw.length - 2,
    variants: [],
    ends: [],
    base: rotation,
    complete: false,
    uncacheable: false,
    next: 0,
    length: 0,
  };
}

/** Completes an entry: its query and variants in one buffer, back to back. */
function pack(entry: Entry): void {
  const packed = Buffer.allocUnsafeSlow(entry.variants.reduce((sum, v) => sum + v.length, entry.queryLength));
  entry.packed.copy(packed, 0, 0, entry.queryLength);
  let at = entry.queryLength;
  for (const variant of entry.variants) {
    variant.copy(packed, at);
    at += variant.length;
    entry.ends.push(at);
  }
  entry.packed = packed;
  entry.variants.length = 0;
  entry.complete = true;
}

/** A copy of `bytes` from `from` on, in memory of its own (see above). */
function kept(bytes: Buffer, from: number): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length - from);
  bytes.copy(copy, 0, from);
  return copy;
}

/** Whether `bytes[start, end)` is the entry's query (after the id), compared in place: no native call, no slice. */
function sameQueryAt(entry: Entry, bytes: Buffer, start: number, end: number, transport: Transport): boolean {
  const length = entry.queryLength;
  if (entry.transport !== transport || length !== end - start - 2) return false;
  const packed = entry.packed;
  for (let i = 0, at = start + 2; i < length; i++, at++) if (packed[i] !== bytes[at]) return false;
  return true;
}

function sameAfterId(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.compare(b, 2, b.length, 2, a.length) === 0;
}
