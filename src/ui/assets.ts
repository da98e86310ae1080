/**
 * The page: its HTML shell, script and stylesheet. build/bundle.mjs embeds the script and stylesheet in the CLI
 * bundle (RUNDOCK_UI_ASSETS), so the UI needs no file on disk and no CDN; from the sources they are built on demand.
 */
import { createHash } from 'node:crypto';

export interface UiAssets {
  js: string;
  css: string;
}

/** A served file: its body, type and ETag. */
export interface Asset {
  body: string;
  type: string;
  etag: string;
}

/** Set by the bundler (build/bundle.mjs); absent when running from the sources. */
declare const RUNDOCK_UI_ASSETS: UiAssets | undefined;

/** The page's files by path: `/`, `/app.js`, `/app.css`. */
export async function uiFiles(domain: string): Promise<Map<string, Asset>> {
  const { js, css } = typeof RUNDOCK_UI_ASSETS === 'object' ? RUNDOCK_UI_ASSETS : await buildFromSources();
  return new Map([
    ['/', asset(pageHtml(domain), 'text/html; charset=utf-8')],
    ['/app.js', asset(js, 'text/javascript; charset=utf-8')],
    ['/app.css', asset(css, 'text/css; charset=utf-8')],
  ]);
}

/** The HTML shell: the script renders everything else from the state stream. Usable without it: it says so. */
export function pageHtml(domain: string): string {
  const title = `rundock · ${escapeHtml(domain)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/app.css">
<script type="module" src="/app.js"></script>
</head>
<body>
<div id="app"><header class="top"><h1>${title}</h1></header><main><p>Loading the cluster view…</p></main></div>
<noscript><p>This page needs JavaScript. <a href="/api/state">/api/state</a> has the same data as JSON.</p></noscript>
</body>
</html>
`;
}

function asset(body: string, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function buildFromSources(): Promise<UiAssets> {
  // A computed specifier: the bundler leaves it alone (the bundle has the assets and never gets here).
  const builder = new URL('../../build/ui-client.mjs', import.meta.url).href;
  const { buildUiClient } = (await import(builder)) as { buildUiClient: () => Promise<UiAssets> };
  return buildUiClient();
}
