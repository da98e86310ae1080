/**
 * The UI's HTTP server. Read-only: GET and HEAD only. Serves the page, its state as JSON (/api/state) and as a
 * server-sent event stream (/events: the whole state on connect and after every change, no polling), behind
 * checkAccess (auth.ts). Every answer forbids framing and foreign scripts (Content-Security-Policy).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Asset } from './assets.js';
import { checkAccess } from './auth.js';
import type { StateListener } from './hub.js';

export interface UiServerOptions {
  listen: { host: string; port: number };
  token?: string | undefined;
  files: ReadonlyMap<string, Asset>;
  /** The current state as JSON text. */
  snapshot: () => string;
  subscribe: (listener: StateListener) => () => void;
  log: Logger;
  /** A comment line on idle streams this often, ms (default 15000), so proxies keep them open. */
  heartbeatMs?: number;
}

export interface UiServer {
  address: AddressInfo;
  /** Open event streams. */
  clients(): number;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export async function startUiServer(o: UiServerOptions): Promise<UiServer> {
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    try {
      handle(request, response, o, streams);
    } catch (error) {
      o.log.warn({ err: error, url: request.url }, 'UI request failed');
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    clients: () => streams.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function handle(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  o: UiServerOptions,
  streams: Set<http.ServerResponse>,
): void {
  const url = new URL(request.url ?? '/', 'http://ui.invalid');
  const access = checkAccess(url, request.headers, o.token);
  if (!access.ok) {
    if (access.status === 303) {
      response.writeHead(303, { ...SECURITY_HEADERS, location: access.location, 'set-cookie': access.cookie });
      response.end();
    } else {
      const challenge: Record<string, string> =
        access.status === 401 ? { 'www-authenticate': 'Bearer realm="rundock ui"' } : {};
      send(response, access.status, 'text/plain; charset=utf-8', `${access.message}\n`, challenge);
    }
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    send(response, 405, 'text/plain; charset=utf-8', 'read-only: GET and HEAD only\n', { allow: 'GET, HEAD' });
    return;
  }
  const file = o.files.get(url.pathname);
  if (file !== undefined) {
    if (request.headers['if-none-match'] === file.etag) {
      response.writeHead(304, { ...SECURITY_HEADERS, etag: file.etag });
      response.end();
      return;
    }
    send(response, 200, file.type, file.body, { etag: file.etag, 'cache-control': 'no-cache' });
  } else if (url.pathname === '/api/state') {
    send(response, 200, 'application/json', `${o.snapshot()}\n`, { 'cache-control': 'no-store' });
  } else if (url.pathname === '/events') {
    openStream(request, response, o, streams);
  } else if (url.pathname === '/healthz') {
    send(response, 200, 'text/plain', 'ok\n');
  } else {
    send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
}

/** An SSE stream: the state now, then every new state; closed by the client or the server. */
function openStream(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  o: UiServerOptions,
  streams: Set<http.ServerResponse>,
): void {
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  // JSON.stringify never writes a raw newline, so one `data:` line carries the whole state.
  const write: StateListener = (json) => void response.write(`event: state\ndata: ${json}\n\n`);
  response.write('retry: 1000\n\n');
  write(o.snapshot());
  const unsubscribe = o.subscribe(write);
  const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), o.heartbeatMs ?? 15_000).unref();
  streams.add(response);
  response.on('close', () => {
    unsubscribe();
    clearInterval(heartbeat);
    streams.delete(response);
  });
}

function send(
  response: http.ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...headers });
  response.end(body);
}
