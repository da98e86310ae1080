/** Runs wrk (bounded duration, loopback URLs only) and reads its summary. */
import { execFile } from 'node:child_process';

export const WRK_BIN = process.env.RUNDOCK_TEST_WRK ?? '/usr/bin/wrk';

export interface WrkResult {
  requests: number;
  /** Socket errors: connect + read + write + timeout. */
  socketErrors: number;
  errors: { connect: number; read: number; write: number; timeout: number };
  /** Responses with a status outside 2xx/3xx. */
  non2xx: number;
  output: string;
}

export interface WrkOptions {
  url: string;
  seconds: number;
  connections: number;
  headers: readonly string[];
}

/** Runs wrk with one thread; refuses durations over 20 s and URLs off loopback. */
export function runWrk(o: WrkOptions): Promise<WrkResult> {
  if (o.seconds > 20) throw new Error('wrk runs are bounded to 20 s');
  if (!/^http:\/\/127\.\d+\.\d+\.\d+:\d+\//.test(o.url)) throw new Error(`wrk only against loopback: ${o.url}`);
  const args = [
    '-t1',
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    '--timeout',
    '5s',
    ...o.headers.flatMap((h) => ['-H', h]),
    o.url,
  ];
  return new Promise((resolve, reject) => {
    execFile(WRK_BIN, args, { timeout: (o.seconds + 15) * 1000 }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`wrk failed (is it installed? scripts/test-env.sh installs it): ${error.message}\n${stderr}`));
      else resolve(parseWrk(stdout));
    });
  });
}

/** Reads wrk's text summary. */
export function parseWrk(output: string): WrkResult {
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = {
    connect: Number(socket?.[1] ?? 0),
    read: Number(socket?.[2] ?? 0),
    write: Number(socket?.[3] ?? 0),
    timeout: Number(socket?.[4] ?? 0),
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  return {
    requests,
    errors,
    socketErrors: errors.connect + errors.read + errors.write + errors.timeout,
    non2xx,
    output,
  };
}
