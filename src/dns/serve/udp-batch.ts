/**
 * Loads the batched UDP addon (native/udp_batch.c; build/native.mjs compiles it into
 * dist/udp_batch-<platform>-<arch>-<libc>.node, a release carries linux-x64-glibc; the single executable carries the
 * one for its platform as an asset of the same name). Without one for the running platform (not built, another
 * platform, or RUNDOCK_DNS_UDP=node) the server uses Node's dgram sockets.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { getRawAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { loadAddonFromBytes } from '../../shared/native-addon.js';

/** What native/udp_batch.c exports. */
export interface UdpBatchAddon {
  /**
   * Binds a socket and polls it on Node's loop; `onBatch` answers each batch in the shared memory returned (see
   * BatchHandler). Throws Node-style socket errors.
   */
  open(
    host: string,
    port: number,
    onBatch: BatchHandler,
  ): [handle: object, boundPort: number, input: Buffer, output: Buffer, meta: Uint32Array];
  /** One datagram outside a batch (a reply that came later, e.g. a forwarded query's, or a long one). */
  send(handle: object, bytes: Buffer, address: string, port: number): void;
  close(handle: object): void;
  /** The version of the shared memory's layout; BATCH_LAYOUT. */
  readonly layout: number;
}

/** The layout this code reads (native/udp_batch.c's LAYOUT): input, output and meta shared per socket. */
export const BATCH_LAYOUT = 2;

/** Bytes of a slot in `input` and `output`: datagram i is at i × BATCH_SLOT, its reply too. */
export const BATCH_SLOT = 4096;
/** Words of `meta` per datagram: its length, source port, IPv4 source address (a number), and its reply's length. */
export const BATCH_META = 4;

/**
 * Answers `count` datagrams. Datagram i is in `input` at i × BATCH_SLOT, `meta[4i]` bytes long, from port
 * `meta[4i + 1]` of `addresses[i]` on an IPv6 socket, or of the IPv4 address `meta[4i + 2]` (a 32-bit number;
 * `addresses` is undefined on an IPv4 socket). Reply i goes into `output` at i × BATCH_SLOT, its length into
 * `meta[4i + 3]` (0 when called: no reply). Everything is overwritten by the next batch: keep copies.
 */
export type BatchHandler = (count: number, addresses: string[] | undefined) => void;

/**
 * The platform an addon must be built for to load here, as build/native.mjs names its output: `linux-x64-glibc`.
 * A glibc build does not load under musl, and an x64 one not on arm64: the file name says which it is.
 */
export function platformTag(): string {
  if (process.platform !== 'linux') return `${process.platform}-${process.arch}`;
  const header = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return `linux-${process.arch}-${header.header?.glibcVersionRuntime === undefined ? 'musl' : 'glibc'}`;
}

/** Where the addon is, relative to this module: the bundle (dist/rundock.cjs) or the sources (src/dns/serve/). */
const DIRECTORIES = ['./', '../../../dist/'];

let loaded: { addon: UdpBatchAddon | undefined; reason: string } | undefined;

/** The addon, or undefined with the reason it is not used. Loaded once. */
export function udpBatchAddon(): { addon: UdpBatchAddon | undefined; reason: string } {
  loaded ??= load(platformTag());
  return loaded;
}

function load(tag: string): { addon: UdpBatchAddon | undefined; reason: string } {
  if (process.env.RUNDOCK_DNS_UDP === 'node') return { addon: undefined, reason: 'RUNDOCK_DNS_UDP=node' };
  const name = `udp_batch-${tag}.node`;
  if (isSea()) return loadFromExecutable(name, tag);
  const path = DIRECTORIES.map((dir) => fileURLToPath(new URL(dir + name, import.meta.url))).find((candidate) =>
    existsSync(candidate),
  );
  if (path === undefined) {
    const others = DIRECTORIES.flatMap((dir) => prebuilt(fileURLToPath(new URL(dir, import.meta.url))));
    const built = others.length === 0 ? 'none was built (see build/native.mjs)' : `there is ${others.join(', ')}`;
    return { addon: undefined, reason: `no ${name} for this platform (${tag}): ${built}` };
  }
  try {
    const addon = createRequire(import.meta.url)(path) as UdpBatchAddon;
    // A file left by an older build (when compiling failed since) speaks another layout.
    if (addon.layout !== BATCH_LAYOUT)
      return { addon: undefined, reason: `${path} is from another version (rebuild it: npm run build)` };
    return { addon, reason: path };
  } catch (error) {
    return {
      addon: undefined,
      reason: `${path} does not load: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/** The single executable's asset `name`, loaded without a file left behind (shared/native-addon.ts). */
function loadFromExecutable(name: string, tag: string): { addon: UdpBatchAddon | undefined; reason: string } {
  let bytes: ArrayBuffer;
  try {
    bytes = getRawAsset(name);
  } catch {
    return { addon: undefined, reason: `no ${name} for this platform (${tag}) in this executable` };
  }
  try {
    return { addon: loadAddonFromBytes(new Uint8Array(bytes)) as UdpBatchAddon, reason: `${name} (executable)` };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { addon: undefined, reason: `${name} of this executable does not load: ${why} (TMPDIR mounted noexec?)` };
  }
}

/** The addons in `dir` (for the reason given when none matches). */
function prebuilt(dir: string): string[] {
  try {
    return readdirSync(dir).filter((file) => /^udp_batch-.+\.node$/.test(file));
  } catch {
    return [];
  }
}
