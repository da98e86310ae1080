// Bundles the CLI into dist/, which is everything an installed rundock runs: no package is installed beside it
// (package.json lists none as a dependency). A no-op `rundock enable` must finish within 0.3 s, and resolving and
// compiling the ~400 files of the dependency tree one by one cost more than the work itself, so:
// - the commands' code is one bundle; etcd3 (with gRPC and protobuf) is reached only through dynamic imports, which
//   become files loaded by the commands that talk to etcd; its .proto files are copied to dist/proto/etcd3/;
// - ssh2, which only an ssh:// DOCKER_HOST needs, is its own CommonJS bundle (dist/ssh2.cjs), loaded on first use;
// - dockerode's BuildKit session (gRPC) is left out: rundock never builds images;
// - the web UI's page (Preact + htm) is built for the browser and embedded as text (RUNDOCK_UI_ASSETS).
// `--release` (npm pack's prepack) also requires the UDP addon for linux-x64 glibc, so a release never lacks it.
// Output is flat (dist/*.mjs), so every file's `require` and `import.meta.url` resolve against dist/ itself.
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { buildNative } from './native.mjs';
import { dockerodeBuildKitStub, etcd3ProtoPath, nodeStreams } from './plugins.mjs';
import { buildUiClient } from './ui-client.mjs';
import { buildCommit } from './version.mjs';

const root = new URL('..', import.meta.url).pathname;
/** @type {{ version: string }} */
const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const version = manifest.version;
const release = process.argv.includes('--release');
const common = { bundle: true, platform: 'node', target: 'node20', legalComments: 'none', logLevel: 'warning' };

rmSync(`${root}dist`, { recursive: true, force: true });

// The web UI's page (Preact + htm, src/ui/client) goes inside the bundle: `rundock ui` serves it without a CDN.
const uiAssets = await buildUiClient();

await build({
  ...common,
  entryPoints: { rundock: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  splitting: true,
  format: 'esm',
  sourcemap: 'linked',
  define: {
    RUNDOCK_VERSION: JSON.stringify(version),
    RUNDOCK_COMMIT: JSON.stringify(buildCommit(root)),
    RUNDOCK_UI_ASSETS: JSON.stringify(uiAssets),
  },
  logOverride: { 'unsupported-require-call': 'silent' },
  alias: { ssh2: new URL('./lazy/ssh2.cjs', import.meta.url).pathname },
  plugins: [dockerodeBuildKitStub, etcd3ProtoPath, nodeStreams],
  external: ['cpu-features'],
  banner: {
    js: "import { createRequire as __rundockCreateRequire } from 'node:module'; const require = __rundockCreateRequire(import.meta.url);",
  },
});

// ssh2 keeps its optional native parts optional: cpu-features and its own sshcrypto addon are not shipped, and
// ssh2 falls back to JavaScript without them, as it does when their install scripts never ran.
await build({
  ...common,
  entryPoints: { ssh2: 'ssh2' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  external: ['cpu-features', '*.node'],
});

mkdirSync(`${root}dist/proto`, { recursive: true });
cpSync(`${root}node_modules/etcd3/proto`, `${root}dist/proto/etcd3`, { recursive: true });

buildNative({ required: release });
