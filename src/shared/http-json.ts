import http from 'node:http';

/**
 * GET a JSON document over plain HTTP (the agent's status address, on this host). node:http rather than fetch: the
 * CLI would otherwise load undici, about as costly as all of its own start (docs/BENCHMARKS.md, "CLI start").
 * Rejects on a connection error, a timeout, a status other than 2xx or a body that is not JSON.
 */
export function getJson(url: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) return reject(new Error(`HTTP ${status}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
