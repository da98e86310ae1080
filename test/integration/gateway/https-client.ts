/** Requests over HTTPS through the nginx under test: SNI and Host set to a route's hostname, the CA given. */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Etcd3 } from 'etcd3';
import { encodeRouteClaim, routesKey } from '../../../src/registry/routes.js';
import { parseRoute } from '../../../src/shared/route-address.js';

export interface HttpsAnswer {
  /** 0 when the handshake or connection failed (`error` says why). */
  status: number;
  body: string;
  /** The served certificate's serial (uppercase hex), when the handshake succeeded. */
  serial?: string;
  error?: string;
}

/**
 * GET https://HOSTNAME:PORT/PATH against 127.0.0.1 (or `address`: curl's --resolve), trusting only `ca`; with
 * `allowExpired`, a certificate of `ca` past its end still answers (which one is served matters, not the clock).
 * Never throws.
 */
export function httpsGet(
  port: number,
  hostname: string,
  ca: string,
  path = '/',
  o: { allowExpired?: boolean; address?: string } = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: o.address ?? '127.0.0.1',
        port,
        path,
        servername: hostname,
        headers: { host: hostname },
        ca,
        rejectUnauthorized: o.allowExpired !== true,
        timeout: 5000,
        agent: false,
      },
      (response) => {
        const socket = response.socket as TLSSocket;
        const refused = socket.authorizationError;
        if (refused !== null && refused !== undefined && String(refused) !== 'CERT_HAS_EXPIRED') {
          response.destroy();
          return resolve({ status: 0, body: '', error: String(refused) });
        }
        const serial = socket.getPeerCertificate().serialNumber?.toUpperCase();
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, serial }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ status: 0, body: '', error: error.message }));
    req.end();
  });
}

/** Writes `service`'s route record from `host` as an agent writes it (no lease). */
export async function claimRoutes(
  client: Etcd3,
  domain: string,
  service: string,
  host: string,
  routes: readonly string[],
  stripPrefix = false,
): Promise<void> {
  const parsed = routes.map((r) => ({ ...parseRoute(r), stripPrefix: stripPrefix && r.includes('/') }));
  await client
    .put(routesKey(host, service))
    .value(encodeRouteClaim({ service, host, domain, routes: parsed }))
    .exec();
}

export async function unclaimRoutes(client: Etcd3, service: string, host: string): Promise<void> {
  await client.delete().key(routesKey(host, service)).exec();
}
