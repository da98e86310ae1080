/**
 * The DNS server's UDP listener: the batched native socket (udp-batch.ts: recvmmsg/sendmmsg, one call into JavaScript
 * per batch) where it is built, else a dgram socket (always in a cluster worker, whose socket the primary shares).
 * Both answer each datagram the same way: the per-client rate limit first, then the QueryHandler.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIP, type AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Reply } from '../answer/handler.js';
import type { DnsMetrics } from '../metrics.js';
import { ipv4Text, RateLimiter, type RateDecision, type RateLimitOptions } from './rate-limit.js';
import { BATCH_META, BATCH_SLOT, udpBatchAddon } from './udp-batch.js';
import { FLAG_TC, headerOnlyReply, isQueryHeader, RCODE } from '../wire/wire.js';

/** A bound UDP listener. */
export interface UdpListener {
  /** `batch` (native recvmmsg/sendmmsg) or `dgram` (Node's socket). */
  readonly engine: 'batch' | 'dgram';
  address(): AddressInfo;
  close(): Promise<void>;
}

export interface UdpOptions {
  listen: { host: string; port: number };
  /** Answers one message (the QueryHandler). */
  handle: (message: Buffer) => Reply;
  /**
   * Batched UDP's fast path (QueryHandler.replyFromCache): writes the cached reply to `input[start, end)` into
   * `output` at `at`, at most `room` bytes, and returns its length; 0 when there is none (then `handle` answers).
   */
  fromCache?: (input: Buffer, start: number, end: number, output: Buffer, at: number, room: number) => number;
  rateLimit?: RateLimitOptions | undefined;
  /** A node:cluster worker: the dgram socket the primary shares. */
  shared?: boolean | undefined;
  metrics?: DnsMetrics | undefined;
  log: Logger;
}

/** Binds the listener; rejects with the bind error (EADDRINUSE, ...), naming the address (`address`, `port`). */
export async function bindUdp(o: UdpOptions): Promise<UdpListener> {
  try {
    return await bindEither(o);
  } catch (error) {
    // The addon's errors carry the code and the call, not the address: every listen error names it (cli/output.ts).
    const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
    if (typeof e === 'object' && e.address === undefined)
      Object.assign(e, { address: o.listen.host, port: o.listen.port, syscall: e.syscall ?? 'bind' });
    throw error;
  }
}

async function bindEither(o: UdpOptions): Promise<UdpListener> {
  const limiter = o.rateLimit === undefined || o.rateLimit.perSecond <= 0 ? undefined : new RateLimiter(o.rateLimit);
  if (o.shared === true) return bindDgram(o, limiter);
  const { addon, reason } = udpBatchAddon();
  if (addon === undefined) {
    // The one line that says why this server answers at about half the rate it could (docs: src/dns/README.md).
    const level = reason === 'RUNDOCK_DNS_UDP=node' ? 'info' : 'warn';
    o.log[level]({ udp_engine: 'dgram', reason }, "batched UDP addon not used: UDP on Node's dgram socket");
    return bindDgram(o, limiter);
  }
  let handle: object | undefined;
  // Batches come from the loop, never from within open(): `answerer` exists by the first one.
  const [opened, port, input, output, meta] = addon.open(o.listen.host, o.listen.port, (count, addresses) =>
    answerer.answer(count, addresses),
  );
  handle = opened;
  const answerer = new BatchAnswerer(o, limiter, { input, output, meta }, (bytes, to, toPort) => {
    if (handle !== undefined) addon.send(handle, bytes, to, toPort);
  });
  const address: AddressInfo = { address: o.listen.host, family: isIP(o.listen.host) === 6 ? 'IPv6' : 'IPv4', port };
  return {
    engine: 'batch',
    address: () => address,
    close: async () => {
      if (handle !== undefined) addon.close(handle);
      handle = undefined;
    },
  };
}

/** The addon's memory shared with JavaScript (udp-batch.ts: BatchHandler). */
interface BatchMemory {
  input: Buffer;
  output: Buffer;
  meta: Uint32Array;
}

/**
 * Answers batches in place: a cached answer is written straight into its reply slot (no object made); any other
 * query is copied out of the shared input (the next batch overwrites it) and answered as a dgram one is. A reply
 * that comes later (forwarded) or does not fit its slot goes on its own through `sendLater`.
 */
class BatchAnswerer {
  constructor(
    private readonly o: UdpOptions,
    private readonly limiter: RateLimiter | undefined,
    private readonly memory: BatchMemory,
    private readonly sendLater: (bytes: Buffer, address: string, port: number) => void,
  ) {}

  answer(count: number, addresses: string[] | undefined): void {
    const { input, output, meta } = this.memory;
    const started = performance.now();
    let cached = 0;
    for (let i = 0; i < count; i++) {
      const start = BATCH_SLOT * i;
      const end = start + (meta[BATCH_META * i] as number);
      const decision =
        this.limiter === undefined
          ? 'answer'
          : addresses === undefined
            ? this.limiter.checkIPv4(meta[BATCH_META * i + 2] as number)
            : this.limiter.check(addresses[i] as string);
      const length =
        decision === 'answer' ? (this.o.fromCache?.(input, start, end, output, start, BATCH_SLOT) ?? 0) : 0;
      if (length > 0) cached++;
      meta[BATCH_META * i + 3] = length > 0 ? length : this.uncached(i, decision, addresses);
    }
    if (cached > 0) this.o.metrics?.duration.observeMany((performance.now() - started) / 1000, cached);
  }

  /** Answers datagram i without the cache; returns the length of the reply put in its slot (0: none, or later). */
  private uncached(i: number, decision: RateDecision, addresses: string[] | undefined): number {
    if (decision === 'drop') return limited(this.o, decision);
    const { input, output, meta } = this.memory;
    const start = BATCH_SLOT * i;
    const result = decided(
      this.o,
      decision,
      Buffer.from(input.subarray(start, start + (meta[BATCH_META * i] as number))),
    );
    if (result === undefined) return 0;
    if (result instanceof Buffer && result.length <= BATCH_SLOT) {
      output.set(result, start);
      return result.length;
    }
    const address = addresses?.[i] ?? ipv4Text(meta[BATCH_META * i + 2] as number);
    const port = meta[BATCH_META * i + 1] as number;
    const send = (bytes: Buffer | undefined): void => {
      if (bytes !== undefined) this.sendLater(bytes, address, port);
    };
    if (result instanceof Promise) result.then(send, () => undefined);
    else send(result);
    return 0;
  }
}

/** Counts a query over the rate limit; 0, the length of no reply. */
function limited(o: UdpOptions, decision: 'drop' | 'slip'): 0 {
  o.metrics?.rateLimited.labels(decision).inc();
  return 0;
}

/** The answer to one datagram once the rate limit has decided: the handler's, none (dropped), or TC=1 (slip). */
function decided(o: UdpOptions, decision: RateDecision, message: Buffer): Reply {
  if (decision === 'answer') return o.handle(message);
  limited(o, decision);
  return decision === 'slip' && isQueryHeader(message) ? truncatedReply(message) : undefined;
}

async function bindDgram(o: UdpOptions, limiter: RateLimiter | undefined): Promise<UdpListener> {
  const respond = (message: Buffer, address: string): Reply => decided(o, limiter?.check(address) ?? 'answer', message);
  const socket = createSocket({ type: isIP(o.listen.host) === 6 ? 'udp6' : 'udp4', lookup: literalLookup });
  const reply = (bytes: Buffer | undefined, to: RemoteInfo): void => {
    if (bytes === undefined) return;
    try {
      socket.send(bytes, to.port, to.address);
    } catch {
      // The socket closed between query and answer (shutdown): nothing to answer to.
    }
  };
  socket.on('message', (message: Buffer, from: RemoteInfo) => {
    const result = respond(message, from.address);
    if (result instanceof Promise)
      result.then(
        (bytes) => reply(bytes, from),
        // Answering never rejects by design (a forwarder failure becomes SERVFAIL): a rejection here is a bug.
        (error: unknown) => o.log.error({ err: error, client: from.address }, 'answering a query failed'),
      );
    else reply(result, from);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    // Never exclusive: in a cluster worker the primary binds the socket once and every worker reads from it.
    socket.bind({ port: o.listen.port, address: o.listen.host, exclusive: false }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // Send errors (a client gone, ICMP unreachable) are per packet and not the server's problem.
  socket.on('error', (error) => o.log.debug({ err: error }, 'DNS UDP socket error'));
  try {
    socket.setRecvBufferSize(4 * 1024 * 1024);
  } catch {
    // Capped by net.core.rmem_max: the kernel default still works, it only drops earlier under bursts.
  }
  return {
    engine: 'dgram',
    address: () => socket.address(),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** An empty TC=1 reply (12 bytes, never more than the query): "ask again over TCP". */
function truncatedReply(query: Buffer): Buffer {
  const reply = headerOnlyReply(query, RCODE.NOERROR);
  reply.writeUInt16BE(reply.readUInt16BE(2) | FLAG_TC, 2);
  return reply;
}

/**
 * The socket's address lookup: replies go to the address a query came from, always an IP literal, so it is passed
 * through at once. dgram's default (dns.lookup) defers every send to the next tick to tell the same.
 */
function literalLookup(
  address: string,
  family: unknown,
  callback: (error: Error | null, address: string, family: number) => void,
): void {
  callback(null, address, isIP(address));
}
