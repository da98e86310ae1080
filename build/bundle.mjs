// Bundles the CLI into dist/, which is everything an installed rundock runs: no package is installed beside it
// (package.json lists none as a dependency).
// - dist/rundock.cjs: rundock and every runtime dependency in one CommonJS file (etcd3's gRPC definitions inside, as
//   a descriptor: nothing is read beside it). It is also the main script of the single executable (build/sea.mjs),
//   which can hold one script only. Every command's modules and every package are functions run on first use, so
//   a command runs only its own code; V8's code cache of the script (Node's compile cache in bin/rundock.js, the
//   executable's own) spares parsing it at start, and V8 compiles the functions a command calls when it calls them.
//   etcd3 with gRPC and protobufjs is a third of the code; a file of its own that only the commands talking to
//   etcd read saves no measurable start-up any more (bench/etcd-split.sh, docs/BENCHMARKS.md).
// - dockerode's BuildKit session (gRPC) and build-context packing are left out: rundock never builds images;
// - the web UI's page (Preact + htm) is built for the browser and embedded as text (RUNDOCK_UI_ASSETS);
// - dist/udp_batch-<platform>-<arch>-<libc>.node: the DNS server's batched UDP addon for this machine
//   (build/native.mjs). `--release` (npm pack's prepack) requires it, so a release never lacks it.
// Output is flat (dist/*), so the bundle's `__dirname` is dist/ itself, where the addon is.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { buildNative } from './native.mjs';
import {
  dockerModemDebugOff,
  dockerodeBuildKitStub,
  etcd3ProtoDescriptor,
  lazyModules,
  lazySsh2,
  nodeStreams,
} from './plugins.mjs';
import { buildUiClient } from './ui-client.mjs';
import { buildCommit } from './version.mjs';

const root = new URL('..', import.meta.url).pathname;

/**
 * esbuild's options for the bundle, written to `outdir` (relative to the checkout); `external` adds packages left
 * out (bench/etcd-split.sh leaves etcd3 and gRPC out to measure what they cost).
 */
export async function bundleOptions({ outdir = 'dist', external = [] } = {}) {
  /** @type {{ version: string }} */
  const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
  // The web UI's page (Preact + htm, src/ui/client) goes inside the bundle: `rundock ui` serves it without a CDN.
  const uiAssets = await buildUiClient();
  return {
    absWorkingDir: root,
    entryPoints: { rundock: 'src/cli/entry.ts' },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outdir,
    outExtension: { '.js': '.cjs' },
    legalComments: 'none',
    logLevel: 'warning',
    // Without spaces and comments the file is 40 % smaller, and every run reads it whole; names stay, and the source
    // map beside it (node --enable-source-maps) gives the lines of the sources.
    minifyWhitespace: true,
    sourcemap: 'linked',
    define: {
      RUNDOCK_VERSION: JSON.stringify(manifest.version),
      RUNDOCK_COMMIT: JSON.stringify(buildCommit(root)),
      RUNDOCK_UI_ASSETS: JSON.stringify(uiAssets),
      'import.meta.url': '__rundockUrl',
    },
    logOverride: { 'unsupported-require-call': 'silent' },
    plugins: [dockerodeBuildKitStub, dockerModemDebugOff, etcd3ProtoDescriptor, lazyModules, lazySsh2, nodeStreams],
    // ssh2's optional native parts (cpu-features, its own sshcrypto addon) stay out: ssh2 falls back to JavaScript
    // without them, as it does when their install scripts never ran.
    external: ['cpu-features', '*.node', ...external],
    banner: { js: "const __rundockUrl = require('node:url').pathToFileURL(__filename).href;" },
  };
}

/** Builds dist/ (the bundle and this machine's addon); `release` requires the addon. */
export async function buildBundle({ release = false } = {}) {
  rmSync(`${root}dist`, { recursive: true, force: true });
  await build(await bundleOptions());
  buildNative({ required: release });
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  await buildBundle({ release: process.argv.includes('--release') });
}
