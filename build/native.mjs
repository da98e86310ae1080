// Compiles the DNS server's batched UDP addon (src/dns/native/udp_batch.c) with the C compiler and Node's own
// headers (Debian: /usr/include/node, from the nodejs package) into dist/udp_batch-<platform>-<arch>-<libc>.node,
// e.g. dist/udp_batch-linux-x64-glibc.node: the name says where it loads (src/dns/udp-batch.ts picks the file that
// matches the running Node). Node-API only, so it loads into any Node.js >= 20 on that platform.
// Without a compiler or the headers, a development build warns and goes on (rundock dns then uses Node's dgram
// sockets: same answers, about half the queries per second); a release build (`required`) fails instead.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The platform a .node file built here is for; the loader computes the same tag (keep both in step). */
export function platformTag() {
  const report = /** @type {{ header?: { glibcVersionRuntime?: string } }} */ (process.report.getReport());
  const glibc = report.header?.glibcVersionRuntime !== undefined;
  const libc = process.platform !== 'linux' ? '' : glibc ? '-glibc' : '-musl';
  return `${process.platform}-${process.arch}${libc}`;
}

/** What a release must carry: the prebuilt addon for the platform the reference hosts run. */
export const RELEASE_TAG = 'linux-x64-glibc';

const source = new URL('../src/dns/native/udp_batch.c', import.meta.url).pathname;

/** Node's headers: next to this node binary (<prefix>/include/node), or where RUNDOCK_NODE_HEADERS says. */
function headers() {
  const candidates = [
    process.env.RUNDOCK_NODE_HEADERS,
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
  ];
  return candidates.find((dir) => dir !== undefined && existsSync(join(dir, 'node_api.h')));
}

export function buildNative({ required = false } = {}) {
  const tag = platformTag();
  const target = new URL(`../dist/udp_batch-${tag}.node`, import.meta.url).pathname;
  const fail = (reason) => {
    const message = `build: dist/udp_batch-${tag}.node not built (${reason})`;
    if (required) throw new Error(`${message}; a release needs it`);
    process.stderr.write(`${message}; rundock dns will use Node's dgram sockets\n`);
  };
  if (required && tag !== RELEASE_TAG) return fail(`a release is built on ${RELEASE_TAG}, this is ${tag}`);
  if (process.platform !== 'linux') return fail(`recvmmsg/sendmmsg are Linux calls (this is ${process.platform})`);
  const include = headers();
  if (include === undefined) return fail("Node's headers (node_api.h) not found; set RUNDOCK_NODE_HEADERS");
  mkdirSync(dirname(target), { recursive: true });
  const failures = [];
  for (const compiler of process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang']) {
    try {
      execFileSync(compiler, [...FLAGS, `-I${include}`, source, '-o', target], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      return;
    } catch (error) {
      failures.push(`${compiler}: ${error.code === 'ENOENT' ? 'not installed' : error.message}`);
    }
  }
  fail(failures.join('; '));
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
