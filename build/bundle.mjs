// Bundles the CLI. A no-op `rundock enable` must finish within 0.3 s, and resolving and compiling the ~400 files of
// the dependency tree one by one cost more than the work itself. dockerode's ssh2 and grpc are swapped for stand-ins
// that load the real modules on first use. etcd3 stays external (it reads its .proto files from its own folder) and
// is reached only through dynamic imports, which become chunks loaded by the commands that need them.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { buildNative } from './native.mjs';
import { buildUiClient } from './ui-client.mjs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// The web UI's page (Preact + htm, src/ui/client) goes inside the bundle: `rundock ui` serves it without a CDN.
const uiAssets = await buildUiClient();

const lazy = (file) => new URL(`./lazy/${file}`, import.meta.url).pathname;

await build({
  entryPoints: { rundock: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  define: { RUNDOCK_VERSION: JSON.stringify(version), RUNDOCK_UI_ASSETS: JSON.stringify(uiAssets) },
  logLevel: 'warning',
  logOverride: { 'unsupported-require-call': 'silent' },
  alias: {
    ssh2: lazy('ssh2.cjs'),
    '@grpc/grpc-js': lazy('grpc-js.cjs'),
    '@grpc/proto-loader': lazy('proto-loader.cjs'),
    protobufjs: lazy('protobufjs.cjs'),
  },
  external: ['cpu-features', 'etcd3'],
  banner: {
    js: "import { createRequire as __rundockCreateRequire } from 'node:module'; const require = __rundockCreateRequire(import.meta.url);",
  },
});

buildNative();
