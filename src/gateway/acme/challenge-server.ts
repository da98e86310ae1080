/**
 * The HTTP-01 challenge listener: nginx passes `/.well-known/acme-challenge/<token>` of every route server (and of
 * the default server, so a hostname this nginx has not rendered yet answers too) to this loopback port, which
 * answers the key authorization any gateway published in the store. No reload is needed for a challenge.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHALLENGE_PATH } from '../render-routes.js';

/** A running challenge listener: its port (rendered into nginx's text) and its stop. */
export interface ChallengeServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, on a port the kernel picks; `answer(token)` gives the key authorization or undefined. */
export async function startChallengeServer(answer: (token: string) => string | undefined): Promise<ChallengeServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const token = path.startsWith(CHALLENGE_PATH) ? path.slice(CHALLENGE_PATH.length) : '';
    const body = request.method === 'GET' && token !== '' ? answer(token) : undefined;
    response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain' });
    response.end(body ?? 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
