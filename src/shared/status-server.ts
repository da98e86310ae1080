import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry as MetricsRegistry } from 'prom-client';

/**
 * More JSON endpoints: path -> what to answer. A rejection with a rundock error code (etcd out of reach) answers 503
 * `{"error": {"code", "message"}}`, so the CLI reports the daemon's reason; any other, 500 with its message.
 */
export type JsonRoutes = Readonly<Record<string, () => unknown>>;

/** Why the daemon cannot do its job now (Docker or etcd out of reach, nginx not reloading); empty when it can. */
export type NotReady = () => readonly string[];

/**
 * Serves GET /metrics (Prometheus text), GET /status (JSON), GET /healthz (liveness: the process answers), GET /readyz
 * (readiness: 200 `ready`, or 503 with one reason per line) and any `routes` (JSON) on a loopback address; every
 * daemon (agent, dns, gateway) uses it. A handler that throws answers 500 with its message.
 */
export async function startStatusServer(
  listen: { host: string; port: number },
  metrics: MetricsRegistry,
  status: () => unknown,
  routes: JsonRoutes = {},
  notReady: NotReady = () => [],
): Promise<{ address: AddressInfo; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    void handle(request.url ?? '/', metrics, { '/status': status, ...routes }, notReady)
      .catch(failure)
      .then(({ code, type, body }) => {
        response.writeHead(code, { 'content-type': type });
        response.end(body);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, resolve);
  });
  return {
    address: server.address() as AddressInfo,
    // A request in flight (a /gateways that waits on etcd, a client that keeps its connection) never holds a stop.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The answer to a request that failed: the reason, coded when it is one of rundock's (see JsonRoutes). */
function failure(error: unknown): { code: number; type: string; body: string } {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('RUNDOCK_E_'))
    return { code: 503, type: 'application/json', body: `${JSON.stringify({ error: { code, message } })}\n` };
  return { code: 500, type: 'text/plain', body: `${message}\n` };
}

async function handle(
  url: string,
  metrics: MetricsRegistry,
  routes: JsonRoutes,
  notReady: NotReady,
): Promise<{ code: number; type: string; body: string }> {
  const path = url.split('?')[0] ?? '/';
  if (path === '/metrics') return { code: 200, type: metrics.contentType, body: await metrics.metrics() };
  if (path === '/healthz') return { code: 200, type: 'text/plain', body: 'ok\n' };
  if (path === '/readyz') {
    const reasons = notReady();
    if (reasons.length === 0) return { code: 200, type: 'text/plain', body: 'ready\n' };
    return { code: 503, type: 'text/plain', body: `not ready\n${reasons.map((r) => `${r}\n`).join('')}` };
  }
  const route = routes[path];
  if (route !== undefined) return { code: 200, type: 'application/json', body: `${JSON.stringify(await route())}\n` };
  return { code: 404, type: 'text/plain', body: 'not found\n' };
}
