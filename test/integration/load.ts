/**
 * Load and observation helpers for redeploy tests: requests through nginx in a loop (a new connection each, or one
 * kept alive), and the sequence of server sets nginx's rendered upstream held for one service.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { waitFor } from './agent-process.js';

export interface LoadReport {
  requests: number;
  failures: number;
  /**
   * Keep-alive only: requests sent again on a new connection because the server closed the reused one as they were
   * sent (nginx's old workers close idle connections on a reload), as browsers and RFC 9110 (9.2.2) do for GET.
   */
  retried: number;
  failed: { at: number; error: string }[];
  /** Responses by body (trimmed): which versions answered. */
  bodies: Record<string, number>;
}

export interface Load {
  /** Resolves once `count` more requests have completed from now. */
  more(count: number): Promise<void>;
  stop(): Promise<LoadReport>;
}

/** GETs http://127.0.0.1:PORT/ with Host `host` in a loop until stopped (at most 120 s); counts failures. */
export function startLoad(port: number, host: string, o: { keepAlive?: boolean } = {}): Load {
  const report: LoadReport = { requests: 0, failures: 0, retried: 0, failed: [], bodies: {} };
  const agent = o.keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
  const started = Date.now();
  let stopped = false;
  const once = (): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/',
          headers: { host, ...(agent ? {} : { connection: 'close' }) },
          agent: agent ?? false,
          timeout: 5000,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () =>
            res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`status ${res.statusCode}`)),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(
          Object.assign(error, {
            reused: req.reusedSocket && (error.code === 'ECONNRESET' || error.message === 'socket hang up'),
          }),
        ),
      );
      req.end();
    });
  const withRetry = (): Promise<string> =>
    once().catch((error: Error & { reused?: boolean }) => {
      if (!error.reused) throw error;
      report.retried++;
      return once();
    });
  const loop = (async () => {
    while (!stopped && Date.now() - started < 120_000) {
      try {
        const body = await withRetry();
        report.bodies[body] = (report.bodies[body] ?? 0) + 1;
      } catch (error) {
        report.failures++;
        report.failed.push({ at: Date.now() - started, error: (error as Error).message });
      }
      report.requests++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async more(count) {
      const target = report.requests + count;
      await waitFor(() => report.requests >= target, 30_000, 5);
    },
    async stop() {
      stopped = true;
      await loop;
      agent?.destroy();
      return report;
    },
  };
}

/** The servers of `service`'s upstream in the rendered file, sorted; placeholder (down) servers left out. */
export function upstreamServers(text: string, service: string): string[] {
  const block = new RegExp(`upstream ${service} \\{([^}]*)\\}`).exec(text)?.[1] ?? '';
  return [...block.matchAll(/server (\S+?);/g)]
    .map((m) => m[1] ?? '')
    .filter((s) => !s.includes(' down'))
    .sort();
}

/**
 * Samples the rendered file every 5 ms until stopped: the distinct consecutive server sets of `service`'s upstream,
 * and when each was first seen.
 */
export function upstreamTimeline(
  file: string,
  service: string,
): { stop(): Promise<string[][]>; firstAt(match: (servers: string[]) => boolean): number | undefined } {
  const seen: { at: number; servers: string[] }[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const servers = upstreamServers(await readFile(file, 'utf8').catch(() => ''), service);
      if (JSON.stringify(seen.at(-1)?.servers) !== JSON.stringify(servers)) seen.push({ at: Date.now(), servers });
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return seen.map((s) => s.servers);
    },
    firstAt: (match) => seen.find((s) => match(s.servers))?.at,
  };
}
