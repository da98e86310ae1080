// Compiles the DNS server's batched UDP addon (src/dns/serve/native/udp_batch.c) with the C compiler and Node's own
// headers (those beside the running node: the npm registry's node-linux-<arch> packages carry them, see
// scripts/node.sh; or Debian's /usr/include/node) into dist/udp_batch-<platform>-<arch>-<libc>.node, e.g.
// dist/udp_batch-linux-x64-glibc.node: the name says where it loads (src/dns/serve/udp-batch.ts picks the file that matches
// the running Node). Node-API only, so it loads into any supported Node.js on that platform.
// Without a compiler or the headers, a development build warns and goes on (rundock dns then uses Node's dgram
// sockets: same answers, about half the queries per second); a release build (`required`) fails instead.
// For the arm64 executable (build/sea.mjs) it cross-compiles with Debian's gcc-aarch64-linux-gnu.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The platform a .node file built here is for; the loader computes the same tag (keep both in step). */
export function platformTag(arch = process.arch) {
  if (arch !== process.arch) return `linux-${arch}-glibc`; // a cross-compiler of Debian's: Linux, glibc
  const report = /** @type {{ header?: { glibcVersionRuntime?: string } }} */ (process.report.getReport());
  const glibc = report.header?.glibcVersionRuntime !== undefined;
  const libc = process.platform !== 'linux' ? '' : glibc ? '-glibc' : '-musl';
  return `${process.platform}-${arch}${libc}`;
}

/** What a release must carry: the prebuilt addon for the platform the reference hosts run. */
export const RELEASE_TAG = 'linux-x64-glibc';

const source = new URL('../src/dns/serve/native/udp_batch.c', import.meta.url).pathname;

/** Node's headers: next to this node binary (<prefix>/include/node), or where RUNDOCK_NODE_HEADERS says. */
function headers() {
  const candidates = [
    process.env.RUNDOCK_NODE_HEADERS,
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
  ];
  return candidates.find((dir) => dir !== undefined && existsSync(join(dir, 'node_api.h')));
}

/** The C compilers to try for `arch`: the machine's own, or Debian's cross-compiler (gcc-aarch64-linux-gnu). */
function compilers(arch) {
  if (arch !== process.arch) return [`${CROSS[arch] ?? arch}-linux-gnu-gcc`];
  return process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];
}
const CROSS = { arm64: 'aarch64', x64: 'x86_64' };

/**
 * Builds the addon for `arch` into `folder` (default dist/); returns its path, or undefined where it could not be
 * built and is not `required`.
 */
export function buildNative({
  required = false,
  arch = process.arch,
  folder = new URL('../dist/', import.meta.url).pathname,
} = {}) {
  const tag = platformTag(arch);
  const target = join(folder, `udp_batch-${tag}.node`);
  const fail = (reason) => {
    const message = `build: ${target} not built (${reason})`;
    if (required) throw new Error(`${message}; a release needs it`);
    process.stderr.write(`${message}; rundock dns will use Node's dgram sockets\n`);
    return undefined;
  };
  // The tarball carries the addon of the machine that packs it: the reference hosts' platform.
  if (required && arch === process.arch && tag !== RELEASE_TAG)
    return fail(`a release is built on ${RELEASE_TAG}, this is ${tag}`);
  if (process.platform !== 'linux') return fail(`recvmmsg/sendmmsg are Linux calls (this is ${process.platform})`);
  const include = headers();
  if (include === undefined) return fail("Node's headers (node_api.h) not found; set RUNDOCK_NODE_HEADERS");
  mkdirSync(dirname(target), { recursive: true });
  const failures = [];
  for (const compiler of compilers(arch)) {
    try {
      execFileSync(compiler, [...FLAGS, `-I${include}`, source, '-o', target], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      return target;
    } catch (error) {
      failures.push(`${compiler}: ${error.code === 'ENOENT' ? 'not installed' : error.message}`);
    }
  }
  return fail(failures.join('; '));
}

const FLAGS = [
  '-O2',
  '-Wall',
  '-Wextra',
  '-Wno-unused-parameter',
  '-shared',
  '-fPIC',
  '-DNODE_GYP_MODULE_NAME=udp_batch',
];
