/**
 * The etcd3 client rundock uses, made to notice a cut-off etcd member, as etcd's Go client does, and to stay on the
 * member of its own host when there is one:
 * - Every request and stream asks for a member that has a leader (`clientv3.WithRequireLeader`). Without it, a
 *   member cut off from the others keeps a watch open and silent, and a lease keep-alive stream open while the lease
 *   expires on the other side of the cut. With the `hasleader` metadata the member answers "etcdserver: no leader"
 *   (gRPC UNAVAILABLE) once it has lost the leader, and the client goes on through another member. etcd3 (1.1.2)
 *   has no option for call metadata; the one place it builds metadata for every call is its pool's authenticator,
 *   which is wrapped here.
 * - gRPC keep-alive pings (`DialKeepAliveTime`): when the member is cut off from this client too, nothing could
 *   answer; a ping unanswered for KEEPALIVE_TIMEOUT_MS closes the connection and the streams fail over. Pings go
 *   every 5 s at most, etcd's default `--grpc-keepalive-min-time` (more often, etcd closes the connection), and only
 *   while a call or stream is open.
 * - Local member first: etcd3 picks a random endpoint for every call and stream, so a process on a healthy host
 *   could hold its watch or lease keep-alive on the member of a host that is then cut off, and notice only through
 *   the pings above. A member on this host's own addresses is tried first; the others, in random order, only when it
 *   fails (etcd3's circuit breaker then skips it for a few seconds). A host cut off takes its own member with it, so
 *   the processes of the other hosts never depend on it.
 * - A stream that stopped answering can be given up at once (`distrustStream`): its member's connections are closed,
 *   so etcd3 reopens the stream, and that member is tried last for a while. Callers decide when a stream is stuck
 *   from what they see (a lease renewal late, a watch behind etcd), well before the pings would.
 */
import { networkInterfaces } from 'node:os';
import { Etcd3, type IOptions } from 'etcd3';

/** The part of grpc-js's Metadata used here (the authenticator may hand out one cached object: it is cloned). */
interface Metadata {
  clone(): Metadata;
  set(key: string, value: string): void;
}

interface MetadataSource {
  getMetadata(): Promise<Metadata>;
}

/** One etcd3 endpoint (etcd3's `Host`). */
interface Endpoint {
  host: string;
  resetAllServices(): void;
}

type ConnectionUser = (connection: { resource: Endpoint }) => unknown;

/** The part of etcd3's connection pool used here: its endpoints, the order calls take them in, and the one door. */
interface Pool {
  authenticator?: MetadataSource;
  hosts?: Endpoint[];
  shuffledHosts?: () => Generator<Endpoint>;
  withConnection?: (service: string, fn: ConnectionUser, hosts?: Generator<Endpoint>) => Promise<unknown>;
}

/** Which endpoint each service's latest stream was opened on, and which endpoints are distrusted until when. */
interface StreamTracking {
  streams: Map<string, Endpoint>;
  distrusted: Map<Endpoint, number>;
}

const KEEPALIVE_TIME_MS = 5000;
const KEEPALIVE_TIMEOUT_MS = 2000;
/** How long a member whose stream stopped answering is tried last. */
const DISTRUST_MS = 30_000;
const tracking = new WeakMap<Etcd3, StreamTracking>();

/** A new etcd3 client whose calls all carry `hasleader: true`, on connections checked by keep-alive pings. */
export function etcdClient(options: IOptions, localAddresses: ReadonlySet<string> = hostAddresses()): Etcd3 {
  const grpcOptions = {
    'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
    ...options.grpcOptions,
  };
  const client = new Etcd3({ ...options, grpcOptions });
  const pool = (client as unknown as { pool?: Pool }).pool;
  const authenticator = pool?.authenticator;
  const withConnection = pool?.withConnection?.bind(pool);
  if (
    pool?.hosts === undefined ||
    pool.shuffledHosts === undefined ||
    authenticator === undefined ||
    withConnection === undefined
  ) {
    throw new Error('etcd3 changed: no pool.authenticator, hosts, shuffledHosts or withConnection to adapt');
  }
  const metadata = authenticator.getMetadata.bind(authenticator);
  authenticator.getMetadata = async () => {
    const withLeader = (await metadata()).clone();
    withLeader.set('hasleader', 'true');
    return withLeader;
  };
  const hosts = pool.hosts;
  const track: StreamTracking = { streams: new Map(), distrusted: new Map() };
  tracking.set(client, track);
  const local = hosts.filter((h) => localAddresses.has(addressOf(h.host)));
  pool.shuffledHosts = () =>
    preferred(hosts, (h) => ((track.distrusted.get(h) ?? 0) > Date.now() ? 2 : local.includes(h) ? 0 : 1));
  // Streams (watch, lease keep-alive) are the calls whose user returns the stream itself rather than a promise.
  pool.withConnection = (service, fn, order) =>
    withConnection(
      service,
      (connection) => {
        const result = fn(connection);
        if (typeof (result as { write?: unknown } | undefined)?.write === 'function')
          track.streams.set(service, connection.resource);
        return result;
      },
      order,
    );
  return client;
}

/**
 * Gives up the member behind `service`'s latest stream (`Watch`, or `Lease` for keep-alives), which the caller found
 * not answering: its connections are closed, so the stream fails and etcd3 opens it again elsewhere, and the member
 * is tried last for DISTRUST_MS. Returns its address, or undefined when the client has no such stream.
 */
export function distrustStream(client: Etcd3, service: 'Watch' | 'Lease'): string | undefined {
  const track = tracking.get(client);
  const endpoint = track?.streams.get(service);
  if (track === undefined || endpoint === undefined) return undefined;
  track.distrusted.set(endpoint, Date.now() + DISTRUST_MS);
  endpoint.resetAllServices();
  return endpoint.host;
}

/**
 * Endless rounds over the endpoints, in order of `rank` (lower first; re-ranked every round). Rank 0 keeps the given
 * order (the local members: one on a real host, all of them in a test cluster on loopback); endpoints of equal
 * higher rank come in a new random order each round, as etcd3 spreads them.
 */
export function* preferred<T>(
  endpoints: readonly T[],
  rank: (endpoint: T) => number,
  random: () => number = Math.random,
): Generator<T> {
  for (;;) {
    const round = endpoints.map((endpoint, index) => {
      const r = rank(endpoint);
      return { endpoint, rank: r, tie: r === 0 ? index : random() };
    });
    round.sort((a, b) => a.rank - b.rank || a.tie - b.tie);
    yield* round.map((r) => r.endpoint);
  }
}

/** The address part of an etcd3 host (`10.0.0.1:2379`, `[::1]:2379`, `localhost:2379`), lowercased. */
export function addressOf(host: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(host);
  if (bracketed) return (bracketed[1] ?? '').toLowerCase();
  return host.replace(/:\d+$/, '').toLowerCase();
}

/** The addresses of this host's (this network namespace's) interfaces, and `localhost`. */
export function hostAddresses(): Set<string> {
  const found = new Set(['localhost']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) found.add(a.address.toLowerCase());
  return found;
}
