import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry as MetricsRegistry } from 'prom-client';

/** More JSON endpoints: path -> what to answer (a rejection answers 500 with its message). */
export type JsonRoutes = Readonly<Record<string, () => unknown>>;

/**
 * Serves GET /metrics (Prometheus text), GET /status (JSON), GET /healthz and any `routes` (JSON) on a loopback
 * address; every daemon (agent, dns, gateway) uses it. A handler that throws answers 500 with its message.
 */
export async function startStatusServer(
  listen: { host: string; port: number },
  metrics: MetricsRegistry,
  status: () => unknown,
  routes: JsonRoutes = {},
): Promise<{ address: AddressInfo; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    void handle(request.url ?? '/', metrics, { '/status': status, ...routes })
      .catch((error: unknown) => ({
        code: 500,
        type: 'text/plain',
        body: `${error instanceof Error ? error.message : String(error)}\n`,
      }))
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

async function handle(
  url: string,
  metrics: MetricsRegistry,
  routes: JsonRoutes,
): Promise<{ code: number; type: string; body: string }> {
  const path = url.split('?')[0] ?? '/';
  if (path === '/metrics') return { code: 200, type: metrics.contentType, body: await metrics.metrics() };
  if (path === '/healthz') return { code: 200, type: 'text/plain', body: 'ok\n' };
  const route = routes[path];
  if (route !== undefined) return { code: 200, type: 'application/json', body: `${JSON.stringify(await route())}\n` };
  return { code: 404, type: 'text/plain', body: 'not found\n' };
}
