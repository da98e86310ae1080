/**
 * The DNS server's UDP listener: the batched native socket (udp-batch.ts: recvmmsg/sendmmsg, one call into JavaScript
 * per batch) where it is built, else a dgram socket (always in a cluster worker, whose socket the primary shares).
 * Both answer each datagram the same way: the per-client rate limit first, then the QueryHandler.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIP, type AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Reply } from './handler.js';
import type { DnsMetrics } from './metrics.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { udpBatchAddon } from './udp-batch.js';
import { FLAG_TC, headerOnlyReply, isQueryHeader, RCODE } from './wire.js';

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
  const respond = responder(o);
  if (o.shared === true) return bindDgram(o, respond);
  const { addon, reason } = udpBatchAddon();
  if (addon === undefined) {
    // The one line that says why this server answers at about half the rate it could (docs: src/dns/README.md).
    const level = reason === 'RUNDOCK_DNS_UDP=node' ? 'info' : 'warn';
    o.log[level]({ udp_engine: 'dgram', reason }, "batched UDP addon not used: UDP on Node's dgram socket");
    return bindDgram(o, respond);
  }
  let handle: object | undefined;
  const [opened, port] = addon.open(o.listen.host, o.listen.port, (data, meta, addresses, count) => {
    const replies = new Array<Buffer | undefined>(count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const length = meta[2 * i] as number;
      const address = addresses[i] as string;
      const sourcePort = meta[2 * i + 1] as number;
      const result = respond(data.subarray(at, (at += length)), address);
      if (result instanceof Promise)
        result.then(
          (bytes) => bytes && handle && addon.send(handle, bytes, address, sourcePort),
          () => undefined,
        );
      else replies[i] = result;
    }
    return replies;
  });
  handle = opened;
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

/** The answer to one datagram from `address`: rate limited (dropped, or TC=1 to retry over TCP) or the handler's. */
function responder(o: UdpOptions): (message: Buffer, address: string) => Reply {
  const limiter = o.rateLimit === undefined || o.rateLimit.perSecond <= 0 ? undefined : new RateLimiter(o.rateLimit);
  return (message, address) => {
    const decision = limiter?.check(address) ?? 'answer';
    if (decision === 'answer') return o.handle(message);
    o.metrics?.rateLimited.labels(decision).inc();
    return decision === 'slip' && isQueryHeader(message) ? truncatedReply(message) : undefined;
  };
}

async function bindDgram(o: UdpOptions, respond: (message: Buffer, address: string) => Reply): Promise<UdpListener> {
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
