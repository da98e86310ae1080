// Bundles the CLI into dist/, which is everything an installed rundock runs: no package is installed beside it
// (package.json lists none as a dependency). A short command spends more time compiling its code than running it, so:
// - the commands' code is one CommonJS file, dist/rundock.cjs, in which every command's modules are functions run on
//   first use; bin/rundock.js runs it through dist/launch.cjs, which keeps V8's compiled code of each command between
//   runs (src/cli/compile-cache.ts): a command compiles only what it runs, once;
// - etcd3 with gRPC and protobufjs (40 % of the code) is dist/etcd.cjs, loaded on first use (build/lazy/); its
//   .proto files are copied to dist/proto/etcd3/;
// - ssh2, which only an ssh:// DOCKER_HOST needs, is its own CommonJS bundle (dist/ssh2.cjs), loaded on first use;
// - dockerode's BuildKit session (gRPC) is left out: rundock never builds images;
// - the web UI's page (Preact + htm) is built for the browser and embedded as text (RUNDOCK_UI_ASSETS).
// `--release` (npm pack's prepack) also requires the UDP addon for linux-x64 glibc, so a release never lacks it.
// Output is flat (dist/*), so every file's `require` and `__dirname` resolve against dist/ itself.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { buildNative } from './native.mjs';
import { dockerodeBuildKitStub, etcd3ProtoPath, lazyModules, nodeStreams } from './plugins.mjs';
import { buildUiClient } from './ui-client.mjs';
import { buildCommit } from './version.mjs';

const root = new URL('..', import.meta.url).pathname;
/** @type {{ version: string }} */
const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const version = manifest.version;
const release = process.argv.includes('--release');
const lazy = (name) => new URL(`./lazy/${name}`, import.meta.url).pathname;
/** Every output: a CommonJS file in dist/. */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
};

rmSync(`${root}dist`, { recursive: true, force: true });

// The web UI's page (Preact + htm, src/ui/client) goes inside the bundle: `rundock ui` serves it without a CDN.
const uiAssets = await buildUiClient();

await build({
  ...common,
  entryPoints: { rundock: 'src/cli/main.ts' },
  // Without spaces and comments the file is 40 % smaller, and every run reads it whole; names stay, and the source
  // map beside it (node --enable-source-maps) gives the lines of the sources.
  minifyWhitespace: true,
  sourcemap: 'linked',
  define: {
    RUNDOCK_VERSION: JSON.stringify(version),
    RUNDOCK_COMMIT: JSON.stringify(buildCommit(root)),
    RUNDOCK_UI_ASSETS: JSON.stringify(uiAssets),
    'import.meta.url': '__rundockUrl',
  },
  logOverride: { 'unsupported-require-call': 'silent' },
  alias: {
    ssh2: lazy('ssh2.cjs'),
    etcd3: lazy('etcd3.cjs'),
    '@grpc/grpc-js': lazy('grpc.cjs'),
  },
  plugins: [dockerodeBuildKitStub, lazyModules, nodeStreams],
  external: ['cpu-features'],
  banner: { js: "const __rundockUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The launcher, told which build the bundle is: its compile caches belong to that build alone.
const bundleId = createHash('sha256')
  .update(readFileSync(`${root}dist/rundock.cjs`))
  .digest('hex')
  .slice(0, 16);
await build({
  ...common,
  entryPoints: { launch: 'src/cli/launch.ts' },
  define: { RUNDOCK_BUNDLE_ID: JSON.stringify(bundleId) },
});

// etcd3 with gRPC and protobufjs: only the commands that talk to etcd load them.
await build({
  ...common,
  entryPoints: { etcd: lazy('etcd.cjs') },
  minifyWhitespace: true,
  plugins: [etcd3ProtoPath],
});

// ssh2 keeps its optional native parts optional: cpu-features and its own sshcrypto addon are not shipped, and
// ssh2 falls back to JavaScript without them, as it does when their install scripts never ran.
await build({
  ...common,
  entryPoints: { ssh2: 'ssh2' },
  external: ['cpu-features', '*.node'],
});

mkdirSync(`${root}dist/proto`, { recursive: true });
cpSync(`${root}node_modules/etcd3/proto`, `${root}dist/proto/etcd3`, { recursive: true });

buildNative({ required: release });
