// Builds the web UI's page (src/ui/client): Preact + htm and the page's own code in one minified ES module, and its
// stylesheet. build/bundle.mjs embeds both in the CLI bundle (no CDN, no files to install); src/ui/assets.ts calls
// this directly when rundock runs from the sources.
import { build } from 'esbuild';

const source = (file) => new URL(`../src/ui/client/${file}`, import.meta.url).pathname;

/** Resolves to `{ js, css }`: the page's script and stylesheet as text. */
export async function buildUiClient() {
  const result = await build({
    entryPoints: { app: source('main.ts'), style: source('style.css') },
    outdir: 'dist/ui',
    write: false,
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    legalComments: 'eof',
    logLevel: 'warning',
  });
  /** @param {string} ext */
  const text = (ext) => {
    const file = result.outputFiles.find((f) => f.path.endsWith(ext));
    if (!file) throw new Error(`the UI build made no ${ext} file`);
    return file.text;
  };
  return { js: text('.js'), css: text('.css') };
}
