/**
 * A one-request check that rundock's TLS and credentials are accepted by etcd, for commands that should refuse to
 * start (exit 1 with a clear message) rather than serve nothing: `rundock dns --workers N` checks in the primary,
 * before forking workers that would each fail the same way.
 */
import { etcdClient } from './etcd-client.js';
import { etcdClientOptions, type EtcdConnection } from './etcd-connection.js';
import { diagnoseEtcdError } from './etcd-diagnose.js';

/**
 * Reads one key under `prefix`. Throws the EtcdAccessError when TLS or auth fails; resolves when etcd answers or is
 * merely unreachable (the caller's feed keeps retrying that in the background).
 */
export async function checkEtcdAccess(connection: EtcdConnection, prefix: string, timeoutMs = 5000): Promise<void> {
  const client = etcdClient({
    ...etcdClientOptions(connection),
    dialTimeout: timeoutMs,
    defaultCallOptions: () => ({ deadline: Date.now() + timeoutMs }),
  });
  try {
    await client.getAll().prefix(prefix).limit(1).keys();
  } catch (error) {
    const access = diagnoseEtcdError(error, connection);
    if (access !== undefined) throw access;
  } finally {
    client.close();
  }
}
