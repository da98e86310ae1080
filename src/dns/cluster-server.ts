/**
 * The DNS server of a node:cluster worker (`rundock dns --workers N`, see workers.ts). It answers like server.ts, but
 * its listeners are the cluster's: the UDP socket is bound once by the primary and shared by every worker (each
 * worker reads from the same kernel socket, and the kernel hands every datagram to one of them), and TCP connections
 * are accepted by the primary and dealt round-robin to the workers. server.ts binds TCP with `exclusive: true`, which
 * in a worker binds a socket of its own and fails with EADDRINUSE in the second worker; hence this variant.
 */
import cluster from 'node:cluster';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type AddressInfo, type Server, type Socket } from 'node:net';
import { Forwarder } from './forward.js';
import { QueryHandler } from './handler.js';
import type { DnsServer, DnsServerOptions } from './server.js';
import { serveTcpConnection } from './tcp.js';
import { ZoneIndex } from './zone-index.js';

/** Starts serving from a cluster worker; resolves once both shared listeners are bound. */
export async function startSharedDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  if (!cluster.isWorker) throw new Error('startSharedDnsServer runs in a node:cluster worker; use startDnsServer elsewhere');
  const zones = options.zones instanceof ZoneIndex ? [options.zones] : options.zones instanceof Map ? [...options.zones.values()] : [...(options.zones as Iterable<ZoneIndex>)];
  const forwarder = options.forward === undefined ? undefined : await Forwarder.open(options.forward, options.forwardTimeoutMs ?? 2000);
  const handler = new QueryHandler({ ...options, zones, forwarder });
  options.metrics?.countRecordsOf(zones);
  let udp: UdpSocket | undefined;
  try {
    udp = await bindSharedUdp(options, handler);
    // Port 0: the primary picked one for the UDP socket (the same for every worker); TCP takes that one.
    const tcp = await listenSharedTcp(options.listen.host, udp.address().port, options.maxTcpConnections ?? 256);
    tcp.on('error', (error) => options.log.warn({ err: error }, 'DNS TCP listener error'));
    const connections = new Set<Socket>();
    tcp.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
      serveTcpConnection(socket, handler, options.tcpIdleTimeoutMs ?? 10_000);
    });
    const shared = udp;
    options.log.info({ udp: shared.address(), tcp: tcp.address(), zones: zones.map((z) => z.domain), forward: options.forward }, 'DNS server listening (shared by the cluster workers)');
    return {
      udpAddress: shared.address(),
      tcpAddress: tcp.address() as AddressInfo,
      close: async () => {
        forwarder?.close();
        for (const socket of connections) socket.destroy();
        await Promise.all([new Promise<void>((resolve) => shared.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
      },
    };
  } catch (error) {
    udp?.close();
    forwarder?.close();
    throw error;
  }
}

async function bindSharedUdp(options: DnsServerOptions, handler: QueryHandler): Promise<UdpSocket> {
  const socket = createSocket({ type: isIP(options.listen.host) === 6 ? 'udp6' : 'udp4' });
  const reply = (bytes: Buffer | undefined, to: RemoteInfo): void => {
    if (bytes === undefined) return;
    try {
      socket.send(bytes, to.port, to.address);
    } catch {
      // The socket closed between query and answer (shutdown): nothing to answer to.
    }
  };
  socket.on('message', (message: Buffer, from: RemoteInfo) => {
    const result = handler.handle(message, 'udp');
    if (result instanceof Promise) result.then((bytes) => reply(bytes, from), () => undefined);
    else reply(result, from);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    // exclusive: false (the default, spelled out): in a worker, the primary binds the socket and shares its handle.
    socket.bind({ port: options.listen.port, address: options.listen.host, exclusive: false }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (error) => options.log.debug({ err: error }, 'DNS UDP socket error'));
  try {
    // One kernel socket for all workers: its buffer absorbs the bursts of all of them.
    socket.setRecvBufferSize(4 * 1024 * 1024);
  } catch {
    // Capped by net.core.rmem_max: the kernel default still works, it only drops earlier under bursts.
  }
  return socket;
}

function listenSharedTcp(host: string, port: number, maxConnections: number): Promise<Server> {
  const tcp = createServer();
  // Per worker: the cluster's round-robin spreads connections, so the whole server holds up to N times this many.
  tcp.maxConnections = maxConnections;
  return new Promise((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ host, port, exclusive: false }, () => {
      tcp.off('error', reject);
      resolve(tcp);
    });
  });
}
