import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry as MetricsRegistry } from 'prom-client';

/** Serves GET /metrics (Prometheus text), GET /status (JSON) and GET /healthz on a loopback address. */
export async function startStatusServer(
  listen: { host: string; port: number },
  metrics: MetricsRegistry,
  status: () => unknown,
): Promise<{ address: AddressInfo; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    void handle(request.url ?? '/', metrics, status).then(({ code, type, body }) => {
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
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function handle(
  url: string,
  metrics: MetricsRegistry,
  status: () => unknown,
): Promise<{ code: number; type: string; body: string }> {
  const path = url.split('?')[0];
  if (path === '/metrics') return { code: 200, type: metrics.contentType, body: await metrics.metrics() };
  if (path === '/status') return { code: 200, type: 'application/json', body: `${JSON.stringify(status())}\n` };
  if (path === '/healthz') return { code: 200, type: 'text/plain', body: 'ok\n' };
  return { code: 404, type: 'text/plain', body: 'not found\n' };
}
