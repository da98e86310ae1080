import http from 'node:http';

/** The server answered, with a status other than 2xx: its status and what it said. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}${body.trim() === '' ? '' : `: ${body.trim().split('\n')[0]}`}`);
    this.name = 'HttpStatusError';
  }

  /** The body's `{"error": {"code", "message"}}` (a rundock daemon's answer to a request it could not serve). */
  get reported(): { code: string; message: string } | undefined {
    try {
      const { error } = JSON.parse(this.body) as { error?: { code?: unknown; message?: unknown } };
      const { code, message } = error ?? {};
      return typeof code === 'string' && typeof message === 'string' ? { code, message } : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * GET a JSON document over plain HTTP (the agent's status address, on this host). node:http rather than fetch: the
 * CLI would otherwise load undici, about as costly as all of its own start (docs/BENCHMARKS.md, "CLI start").
 * Rejects on a connection error, a timeout, a status other than 2xx (HttpStatusError, with what the server said) or
 * a body that is not JSON.
 */
export function getJson(url: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString('utf8');
        if (status < 200 || status >= 300) return reject(new HttpStatusError(status, body));
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
