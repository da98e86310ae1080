/**
 * Loads the batched UDP addon (native/udp_batch.c; build/native.mjs compiles it into dist/udp_batch.node). Without
 * it (not built, another platform, or RUNDOCK_DNS_UDP=node) the server uses Node's dgram sockets.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What native/udp_batch.c exports. */
export interface UdpBatchAddon {
  /** Binds a socket and polls it on Node's loop; `onBatch` answers each batch. Throws Node-style socket errors. */
  open(host: string, port: number, onBatch: BatchHandler): [handle: object, boundPort: number];
  /** One datagram outside a batch (a reply that came later, e.g. a forwarded query's). */
  send(handle: object, bytes: Buffer, address: string, port: number): void;
  close(handle: object): void;
}

/**
 * Datagram i is `data` from the sum of the lengths before it, `meta[2i]` bytes long, from `addresses[i]` port
 * `meta[2i + 1]`. Element i of the result is its reply, if any.
 */
export type BatchHandler = (
  data: Buffer,
  meta: Uint32Array,
  addresses: string[],
  count: number,
) => (Buffer | undefined)[];

/** Where the addon is, relative to this module: the bundle (dist/), a chunk of it (dist/chunks/), or the sources. */
const CANDIDATES = ['./udp_batch.node', '../udp_batch.node', '../../dist/udp_batch.node'];

let loaded: { addon: UdpBatchAddon | undefined; reason: string } | undefined;

/** The addon, or undefined with the reason it is not used. Loaded once. */
export function udpBatchAddon(): { addon: UdpBatchAddon | undefined; reason: string } {
  loaded ??= load();
  return loaded;
}

function load(): { addon: UdpBatchAddon | undefined; reason: string } {
  if (process.env.RUNDOCK_DNS_UDP === 'node') return { addon: undefined, reason: 'RUNDOCK_DNS_UDP=node' };
  const path = CANDIDATES.map((relative) => fileURLToPath(new URL(relative, import.meta.url))).find((candidate) =>
    existsSync(candidate),
  );
  if (path === undefined)
    return { addon: undefined, reason: 'dist/udp_batch.node was not built (see build/native.mjs)' };
  try {
    return { addon: createRequire(import.meta.url)(path) as UdpBatchAddon, reason: path };
  } catch (error) {
    return {
      addon: undefined,
      reason: `${path} does not load: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
