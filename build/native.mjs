// Compiles the DNS server's batched UDP addon (src/dns/native/udp_batch.c) into dist/udp_batch.node with the C
// compiler and Node's own headers (Debian: /usr/include/node, from the nodejs package). Node-API only, so it loads
// into any Node.js >= 20 on the same platform. Without a compiler or the headers, the build warns and goes on:
// rundock dns then uses Node's dgram sockets (same answers, about half the queries per second).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const source = new URL('../src/dns/native/udp_batch.c', import.meta.url).pathname;
const target = new URL('../dist/udp_batch.node', import.meta.url).pathname;

/** Node's headers: next to this node binary (<prefix>/include/node), or where RUNDOCK_NODE_HEADERS says. */
function headers() {
  const candidates = [
    process.env.RUNDOCK_NODE_HEADERS,
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
  ];
  return candidates.find((dir) => dir !== undefined && existsSync(join(dir, 'node_api.h')));
}

export function buildNative() {
  rmSync(target, { force: true });
  if (process.platform !== 'linux') return warn(`recvmmsg/sendmmsg are Linux calls (this is ${process.platform})`);
  const include = headers();
  if (include === undefined) return warn("Node's headers (node_api.h) not found; set RUNDOCK_NODE_HEADERS");
  mkdirSync(dirname(target), { recursive: true });
  const failures = [];
  for (const compiler of process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang']) {
    try {
      execFileSync(
        compiler,
        [
          '-O2',
          '-Wall',
          '-Wextra',
          '-Wno-unused-parameter',
          '-shared',
          '-fPIC',
          '-DNODE_GYP_MODULE_NAME=udp_batch',
          `-I${include}`,
          source,
          '-o',
          target,
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
      return;
    } catch (error) {
      failures.push(`${compiler}: ${error.code === 'ENOENT' ? 'not installed' : error.message}`);
    }
  }
  warn(failures.join('; '));
}

function warn(reason) {
  process.stderr.write(`build: dist/udp_batch.node not built (${reason}); rundock dns will use Node's dgram sockets\n`);
}
