/**
 * A Docker endpoint that shows a test only its own containers: a proxy on a unix socket in front of the real engine
 * that passes every request through unchanged, except that container listings keep only the containers whose name
 * starts with one of `prefixes`. rundock pointed at it (DOCKER_HOST=unix://...) can act on "every service of the
 * host" (apply --prune) without ever seeing, let alone touching, the containers of other tests on a shared engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DockerView {
  /** For DOCKER_HOST. */
  host: string;
  close(): Promise<void>;
}

/** The engine the harness uses: DOCKER_HOST's unix socket (an integration lane's), else Docker's default. */
const ENGINE = /^unix:\/\/(.+)$/.exec(process.env.DOCKER_HOST ?? '')?.[1] ?? '/var/run/docker.sock';

export async function dockerView(prefixes: readonly string[]): Promise<DockerView> {
  const dir = mkdtempSync(join(tmpdir(), 'rundock-docker-view-'));
  const socketPath = join(dir, 'docker.sock');
  const server = http.createServer((request, response) => {
    const listing = request.method === 'GET' && /^\/(v[\d.]+\/)?containers\/json(\?|$)/.test(request.url ?? '');
    const upstream = http.request(
      { socketPath: ENGINE, path: request.url, method: request.method, headers: request.headers },
      (answer) => {
        if (!listing) {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const all = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Names?: string[] }[];
          const mine = all.filter((c) => (c.Names ?? []).some((n) => prefixes.some((p) => n.startsWith(`/${p}`))));
          const body = JSON.stringify(mine);
          response.writeHead(answer.statusCode ?? 200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          response.end(body);
        });
      },
    );
    upstream.on('error', (error) => {
      response.writeHead(502);
      response.end(String(error));
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    host: `unix://${socketPath}`,
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        }),
      ),
  };
}
