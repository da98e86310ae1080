/**
 * The etcd3 client rundock uses, made to notice a cut-off etcd member, as etcd's Go client does:
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
 */
import { Etcd3, type IOptions } from 'etcd3';

/** The part of grpc-js's Metadata used here (the authenticator may hand out one cached object: it is cloned). */
interface Metadata {
  clone(): Metadata;
  set(key: string, value: string): void;
}

interface MetadataSource {
  getMetadata(): Promise<Metadata>;
}

const KEEPALIVE_TIME_MS = 5000;
const KEEPALIVE_TIMEOUT_MS = 2000;

/** A new etcd3 client whose calls all carry `hasleader: true`, on connections checked by keep-alive pings. */
export function etcdClient(options: IOptions): Etcd3 {
  const grpcOptions = { 'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS, 'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS, ...options.grpcOptions };
  const client = new Etcd3({ ...options, grpcOptions });
  const authenticator = (client as unknown as { pool?: { authenticator?: MetadataSource } }).pool?.authenticator;
  if (authenticator === undefined) throw new Error('etcd3 changed: no pool.authenticator to add the hasleader metadata to');
  const metadata = authenticator.getMetadata.bind(authenticator);
  authenticator.getMetadata = async () => {
    const withLeader = (await metadata()).clone();
    withLeader.set('hasleader', 'true');
    return withLeader;
  };
  return client;
}
