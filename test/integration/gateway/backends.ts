/**
 * Helpers of the gateway tests: small HTTP backends on loopback, records written as an agent writes them, bounded
 * polling, and requests through nginx with a Host header.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Etcd3 } from 'etcd3';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { recordKey } from '../../../src/registry/path.js';
import { encodeRecord } from '../../../src/registry/record.js';

export interface Backend {
  name: string;
  port: number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (a kernel-chosen port) answering `backend NAME` to every request. */
export async function startBackend(name: string): Promise<Backend> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(`backend ${name}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Puts `service`'s record from `host` as an agent would: `{"host":"127.0.0.1","port":PORT,"ttl":10}`. */
export async function announce(
  client: Etcd3,
  domain: string,
  service: string,
  host: string,
  port: number,
): Promise<void> {
  await client
    .put(recordKey(domain, service, host))
    .value(encodeRecord({ host: '127.0.0.1', port, ttl: 10 }))
    .exec();
}

export async function withdraw(client: Etcd3, domain: string, service: string, host: string): Promise<void> {
  await client
    .delete()
    .key(recordKey(domain, service, host))
    .exec();
}

/**
 * GET http://127.0.0.1:PORT/PATH with `Host: hostname` (node:http: fetch leaves a Host header out), redirects not
 * followed, a new connection each time; a refused connection or a timeout is status 0.
 */
export function get(
  port: number,
  hostname: string,
  path = '/',
  timeoutMs = 5000,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, headers: { host: hostname }, timeout: timeoutMs, agent: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '', headers: {} }));
    req.end();
  });
}

/** Logs of the gateway under test: silent unless RUNDOCK_LOG_LEVEL says otherwise. */
export function testLogger(): Logger {
  return pino({ level: process.env.RUNDOCK_LOG_LEVEL ?? 'silent' }, pino.destination(2));
}

/** A counter's or gauge's current value (with these labels), 0 when absent. */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  const match = values.find((v) => Object.entries(labels).every(([k, value]) => String(v.labels[k]) === value));
  return match?.value ?? 0;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = http.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
