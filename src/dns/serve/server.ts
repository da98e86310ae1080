/**
 * The DNS server: UDP and TCP listeners on one address, answering from in-memory zone indexes (kept current by a
 * feed), optionally forwarding other names to one upstream. See README.md in this folder.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { Forwarder } from '../answer/forward.js';
import { QueryHandler } from '../answer/handler.js';
import type { DnsMetrics } from '../metrics.js';
import type { RateLimitOptions } from './rate-limit.js';
import { serveTcpConnection } from './tcp.js';
import { bindUdp, type UdpListener } from './udp.js';
import { ZoneIndex } from '../answer/zone-index.js';

/** How to start a DNS server. */
export interface DnsServerOptions {
  /** Address to listen on, UDP and TCP; port 0 picks a free port (the same one for both). */
  listen: { host: string; port: number };
  /** The zones served: one index, several, or a map from domain to index (the domain must be the index's). */
  zones: ZoneIndex | Iterable<ZoneIndex> | ReadonlyMap<string, ZoneIndex>;
  /** Upstream (`ip:port`) for names outside the zones; without it such names are REFUSED (not an open resolver). */
  forward?: string;
  /** How long a forwarded query waits for the upstream before SERVFAIL. Default 2000 ms. */
  forwardTimeoutMs?: number;
  /** TTL of records without their own `ttl`. */
  defaultTtl: number;
  /** The SOA serial, read at every query (e.g. the etcd revision). */
  serial: () => number;
  /** SOA minimum and negative TTL. Default 30 s. */
  negativeTtl?: number;
  /** Most records one answer considers. Default 1024. */
  maxRecords?: number;
  /** TCP connections idle longer than this are closed. Default 10 s. */
  tcpIdleTimeoutMs?: number;
  /** Concurrent TCP connections; more are refused by closing them. Default 256. */
  maxTcpConnections?: number;
  /**
   * In a node:cluster worker (`rundock dns --workers N`, workers/workers.ts): listen on the sockets the primary shares among
   * the workers (one kernel UDP socket read by all; TCP accepted by the primary and dealt round-robin) instead of
   * binding exclusive ones, which fails with EADDRINUSE in the second worker.
   */
  shared?: boolean;
  /** Response rate limit per client address over UDP (rate-limit.ts); without it, none. */
  rateLimit?: RateLimitOptions;
  metrics?: DnsMetrics;
  log: Logger;
}

/** A running server. */
export interface DnsServer {
  readonly udpAddress: AddressInfo;
  readonly tcpAddress: AddressInfo;
  /** Stops listening, closes TCP connections and the forwarder. */
  close(): Promise<void>;
}

const PORT_ATTEMPTS = 10;

/** Starts serving; resolves once both listeners are bound. */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const zones = zoneList(options.zones);
  const forwarder =
    options.forward === undefined ? undefined : await Forwarder.open(options.forward, options.forwardTimeoutMs ?? 2000);
  const handler = new QueryHandler({ ...options, zones, forwarder });
  options.metrics?.countRecordsOf(zones);
  try {
    const { udp, tcp } = await bindBoth(options.listen, handler, options);
    const connections = new Set<Socket>();
    tcp.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
      serveTcpConnection(socket, handler, options.tcpIdleTimeoutMs ?? 10_000);
    });
    options.log.info(
      {
        udp: udp.address(),
        udp_engine: udp.engine,
        tcp: tcp.address(),
        zones: zones.map((z) => z.domain),
        forward: options.forward,
        shared: options.shared === true,
      },
      'DNS server listening',
    );
    return {
      udpAddress: udp.address(),
      tcpAddress: tcp.address() as AddressInfo,
      close: async () => {
        forwarder?.close();
        for (const socket of connections) socket.destroy();
        await Promise.all([udp.close(), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
      },
    };
  } catch (error) {
    forwarder?.close();
    throw error;
  }
}

function zoneList(zones: DnsServerOptions['zones']): ZoneIndex[] {
  if (zones instanceof ZoneIndex) return [zones];
  if (!(zones instanceof Map)) return [...(zones as Iterable<ZoneIndex>)];
  return [...(zones as ReadonlyMap<string, ZoneIndex>)].map(([domain, index]) => {
    if (new ZoneIndex(domain).domain !== index.domain)
      throw new Error(`zone map key ${domain} differs from its index's domain ${index.domain}`);
    return index;
  });
}

/** Binds UDP then TCP on the same port; with port 0 retries when the port UDP got is taken for TCP. */
async function bindBoth(
  listen: DnsServerOptions['listen'],
  handler: QueryHandler,
  options: DnsServerOptions,
): Promise<{ udp: UdpListener; tcp: Server }> {
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp({
      ...options,
      listen,
      handle: (message) => handler.handle(message, 'udp'),
      fromCache: (input, start, end, output, at, room) => handler.replyFromCache(input, start, end, output, at, room),
    });
    const tcp = createServer();
    // Per process: with shared listeners the whole server holds up to N workers times this many.
    tcp.maxConnections = options.maxTcpConnections ?? 256;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: listen.host, port: udp.address().port, exclusive: options.shared !== true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      tcp.on('error', (error) => options.log.warn({ err: error }, 'DNS TCP listener error'));
      return { udp, tcp };
    } catch (error) {
      await udp.close();
      const retry =
        listen.port === 0 && attempt < PORT_ATTEMPTS && (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!retry) throw error;
    }
  }
}
