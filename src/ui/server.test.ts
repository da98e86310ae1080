import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { uiFiles } from './assets.js';
import { startUiServer, type UiServer } from './server.js';
import type { StateListener } from './hub.js';

const TOKEN = 'server-test-token-0123456789';
const listeners = new Set<StateListener>();
let server: UiServer;
let base = '';

describe('UI server', () => {
  before(async () => {
    server = await startUiServer({
      listen: { host: '127.0.0.1', port: 0 },
      token: TOKEN,
      files: await uiFiles('s.prod.example.com'),
      snapshot: () => '{"n":0}',
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      log: pino({ level: 'silent' }),
    });
    base = `http://127.0.0.1:${server.address.port}`;
  });
  after(() => server.close());

  const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`${base}${path}`, { headers, redirect: 'manual' });

  it('serves the page, its script and stylesheet, the state; 401 without the token; GET only', async () => {
    const statuses = async (paths: string[], headers?: Record<string, string>): Promise<number[]> =>
      Promise.all(paths.map(async (p) => (await get(p, headers)).status));
    const paths = ['/', '/app.js', '/app.css', '/api/state', '/healthz', '/missing'];
    assert.deepEqual(await statuses(paths), [200, 200, 200, 200, 200, 404]);
    assert.deepEqual(await statuses(paths, {}), [401, 401, 401, 401, 401, 401]);
    const page = await get('/');
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await page.text(), /<title>rundock · s\.prod\.example\.com<\/title>/);
    const script = await get('/app.js');
    const etag = script.headers.get('etag') ?? '';
    assert.equal(
      (await get('/app.js', { authorization: `Bearer ${TOKEN}`, 'if-none-match': etag })).status,
      304,
      'unchanged assets are not sent again',
    );
    assert.equal(await (await get('/api/state')).text(), '{"n":0}\n');
    const post = await fetch(`${base}/api/state`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(post.status, 405);
  });

  it('streams the state on connect and every published state after, until the client leaves', async () => {
    const response = await get('/events');
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = (response.body ?? new ReadableStream<Uint8Array>()).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pattern: string): Promise<void> => {
      while (!text.includes(pattern)) text += decoder.decode((await reader.read()).value, { stream: true });
    };
    await until('data: {"n":0}\n\n');
    assert.equal(server.clients(), 1);
    for (const listener of listeners) listener('{"n":1}');
    await until('data: {"n":1}\n\n');
    assert.equal(text, 'retry: 1000\n\nevent: state\ndata: {"n":0}\n\nevent: state\ndata: {"n":1}\n\n');
    await reader.cancel();
    for (let i = 0; i < 50 && server.clients() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.clients(), 0);
    assert.equal(listeners.size, 0, 'a closed stream unsubscribes');
  });
});
