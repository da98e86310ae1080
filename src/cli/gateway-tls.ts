/**
 * The gateway's HTTPS settings with their ACME store: in etcd for `rundock gateway` and an agent with --etcd (every
 * frontend shares it), in the state directory for an agent with the embedded registry. Loaded on demand: only a
 * gateway with --acme-email needs acme-client or the store.
 */
import { join } from 'node:path';
import type { TlsOptions } from '../gateway/tls.js';
import type { TlsSettings } from '../gateway/tls-options.js';
import type { EtcdConnection } from '../registry/etcd-connection.js';
import type { FeedProvider } from '../registry/feed.js';

/** Where the ACME store lives. */
export type AcmeStoreSource =
  | { readonly etcd: EtcdConnection; readonly feeds: FeedProvider; readonly leaseTtl: number; readonly holder: string }
  | { readonly stateDir: string };

/** `tls` with its store (the gateway closes it when it stops). */
export async function withAcmeStore(tls: TlsSettings, source: AcmeStoreSource): Promise<TlsOptions> {
  if (tls.acme === undefined) return { certificates: tls.certificates, directory: tls.directory };
  if ('stateDir' in source) {
    const { LocalAcmeStore } = await import('../gateway/acme/store-local.js');
    return { ...tls, acme: { ...tls.acme, store: new LocalAcmeStore(join(source.stateDir, 'acme')) } };
  }
  const { etcdAcmeStore } = await import('../gateway/acme/store-etcd.js');
  const store = await etcdAcmeStore({
    connection: source.etcd,
    feeds: source.feeds,
    lockTtlSeconds: source.leaseTtl,
    holder: source.holder,
  });
  return { ...tls, acme: { ...tls.acme, store } };
}
