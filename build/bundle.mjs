// Bundles the CLI into one file. A no-op `rundock enable` must finish within 0.3 s, and resolving and compiling the
// ~400 files of the dependency tree one by one cost more than the work itself; ssh2 and grpc are swapped for
// stand-ins that load the real modules on first use.
import { build } from 'esbuild';

const lazy = (file) => new URL(`./lazy/${file}`, import.meta.url).pathname;

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/rundock.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  logOverride: { 'unsupported-require-call': 'silent' },
  alias: { ssh2: lazy('ssh2.cjs'), '@grpc/grpc-js': lazy('grpc-js.cjs'), '@grpc/proto-loader': lazy('proto-loader.cjs') },
  external: ['cpu-features'],
  banner: { js: "import { createRequire as __rundockCreateRequire } from 'node:module'; const require = __rundockCreateRequire(import.meta.url);" },
});
