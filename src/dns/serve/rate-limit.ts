/**
 * Response rate limiting per client address over UDP, so the server cannot be used to flood a spoofed victim
 * (amplification) and one busy client cannot starve the others. A token bucket per client: `perSecond` responses a
 * second, bursts of up to `burst`. Over the limit a query is dropped, except every `slip`-th one, which gets an empty
 * TC=1 reply (no larger than the query) so a real client behind a busy address retries over TCP, as BIND's RRL does.
 * TCP is not limited: its handshake proves the address. Clients in `exempt` prefixes are never limited.
 */
import { BlockList, isIPv4 } from 'node:net';

export interface RateLimitOptions {
  /** Responses per second per client address; 0 turns the limit off. */
  perSecond: number;
  /** Bucket size: responses a client may get at once after being quiet. Default 2 × perSecond. */
  burst?: number;
  /** Every slip-th limited query gets TC=1 instead of silence; 0 never. Default 2. */
  slip?: number;
  /** Prefixes (`ADDR/BITS` or `ADDR`) never limited. */
  exempt?: readonly string[];
  /** Clients tracked at once; past it, new clients share one bucket. Default 100 000. */
  maxClients?: number;
}

/** What to do with one query. */
export type RateDecision = 'answer' | 'drop' | 'slip';

interface Bucket {
  tokens: number;
  at: number;
  limited: number;
  /** An exempt client: never limited (remembered, so the prefix list is checked once per client). */
  exempt: boolean;
}

const OVERFLOW_KEY = '(overflow)';

/** Per-client token buckets; `now` is injectable for tests (milliseconds). */
export class RateLimiter {
  /** By client: an address string, an IPv4 address as a number (checkIPv4), a /64, or OVERFLOW_KEY. */
  private readonly buckets = new Map<string | number, Bucket>();
  private readonly burst: number;
  private readonly slip: number;
  private readonly maxClients: number;
  private readonly exempt = new BlockList();
  private lastSweep = 0;

  constructor(
    private readonly o: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = o.burst ?? 2 * o.perSecond;
    this.slip = o.slip ?? 2;
    this.maxClients = o.maxClients ?? 100_000;
    for (const entry of o.exempt ?? []) addPrefix(this.exempt, entry);
  }

  /** Counts one query from `address` and says whether to answer it. */
  check(address: string): RateDecision {
    if (this.o.perSecond <= 0) return 'answer';
    const now = this.clock();
    return this.take(this.buckets.get(address) ?? this.newClient(address, address, now), now);
  }

  /** check() of an IPv4 address given as a 32-bit number (batched UDP's: no string made per query). */
  checkIPv4(address: number): RateDecision {
    if (this.o.perSecond <= 0) return 'answer';
    const now = this.clock();
    return this.take(this.buckets.get(address) ?? this.newClient(address, ipv4Text(address), now), now);
  }

  private clock(): number {
    const now = this.now();
    if (now - this.lastSweep > 10_000) this.sweep(now);
    return now;
  }

  /**
   * The bucket of a client with none under `id` (its address, as a string or an IPv4 number): an exempt one kept
   * under `id`, else the one of its client key (IPv6: its /64), else the overflow one or a new one.
   */
  private newClient(id: string | number, address: string, now: number): Bucket {
    if (this.exempt.check(address, isIPv4(address) ? 'ipv4' : 'ipv6')) {
      const bucket = { tokens: 0, at: now, limited: 0, exempt: true };
      if (this.buckets.size < this.maxClients) this.buckets.set(id, bucket);
      return bucket;
    }
    const key = typeof id === 'number' ? id : clientKey(address);
    let bucket = this.buckets.get(key) ?? this.buckets.get(OVERFLOW_KEY);
    if (bucket === undefined) {
      bucket = { tokens: this.burst, at: now, limited: 0, exempt: false };
      this.buckets.set(this.buckets.size < this.maxClients ? key : OVERFLOW_KEY, bucket);
    }
    return bucket;
  }

  private take(bucket: Bucket, now: number): RateDecision {
    if (bucket.exempt) {
      bucket.at = now;
      return 'answer';
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.o.perSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 'answer';
    }
    bucket.limited++;
    return this.slip > 0 && bucket.limited % this.slip === 0 ? 'slip' : 'drop';
  }

  /** Clients tracked now. */
  get clients(): number {
    return this.buckets.size;
  }

  /** Forgets clients whose bucket has refilled: they are as if never seen. */
  private sweep(now: number): void {
    this.lastSweep = now;
    const refill = (this.burst / this.o.perSecond) * 1000;
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= refill) this.buckets.delete(key);
  }
}

/** The dotted text of an IPv4 address given as a 32-bit number. */
export function ipv4Text(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

/** IPv4 clients are limited per address, IPv6 per /64 (one host's share of a network). */
function clientKey(address: string): string {
  if (isIPv4(address)) return address;
  if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return address.slice(7);
  return expandIPv6(address).slice(0, 4).join(':');
}

function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  return [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
}

/** Adds `ADDR` or `ADDR/BITS` to `list`; throws a plain Error naming the entry when it is not one. */
export function addPrefix(list: BlockList, entry: string): void {
  const [address = '', bits] = entry.split('/');
  const type = isIPv4(address) ? 'ipv4' : 'ipv6';
  const max = type === 'ipv4' ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || bits === '')
    throw new Error(`${entry} is not an address or ADDR/BITS prefix`);
  try {
    list.addSubnet(address, prefix, type);
  } catch {
    throw new Error(`${entry} is not an address or ADDR/BITS prefix`);
  }
}
