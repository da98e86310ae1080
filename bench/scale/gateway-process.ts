/**
 * The real `rundock gateway` as a child process for bench/scale (node bin/rundock.js gateway ...), rendering into a
 * throwaway nginx's conf dir (test/integration/gateway/nginx-process.ts) and reloading it. Its JSON log lines go to a
 * file; the `nginx reloaded` ones are kept with their timings.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BIN, freePort } from '../../test/integration/harness.js';
import type { NginxProcess } from '../../test/integration/gateway/nginx-process.js';
import { waitFor } from '../../test/support/wait.js';

/** One `nginx reloaded` line: when (ms since the epoch) and what it took. */
export interface Reload {
  at: number;
  renderMs: number | undefined;
  testMs: number;
  reloadMs: number;
  servers: number;
}

export interface GatewayProcess {
  pid: number;
  /** The rendered file. */
  file: string;
  /** Its /status, /metrics address. */
  status: string;
  /** The name its serving report is published under (/rundock/gateways/<name>). */
  hostname: string;
  reloads: Reload[];
  stop(): Promise<void>;
}

export interface GatewayProcessOptions {
  etcd: readonly string[];
  domain: string;
  nginx: NginxProcess;
  /** Routes to services (at least one, so nginx listens on loopback and serves something). */
  routes: readonly { hostname: string; service: string }[];
  /** `--only-routed`: the routed services' upstreams alone. */
  onlyRouted: boolean;
  logFile: string;
  /** Options for node itself, e.g. `--cpu-prof` to profile the gateway. */
  nodeArgs?: readonly string[];
}

/** Starts the gateway and waits until its status answers. */
export async function startGatewayProcess(o: GatewayProcessOptions): Promise<GatewayProcess> {
  const status = `127.0.0.1:${await freePort()}`;
  const hostname = 'bench-gateway';
  const { options } = o.nginx;
  const args = [
    ...['gateway', '--etcd', o.etcd.join(','), '--domain', o.domain, '--hostname', hostname],
    ...['--nginx-conf-dir', o.nginx.confDir, '--status-listen', status],
    ...['--nginx-conf', options.conf ?? '', '--nginx-prefix', options.prefix ?? '', '--nginx-pid-file'],
    ...[options.pidFile ?? '', '--nginx-error-log', options.errorLog ?? ''],
    ...o.routes.flatMap((r) => ['--route', `${r.hostname}=${r.service}`]),
    ...['--route-listen', `127.0.0.1:${await freePort()}`, ...(o.onlyRouted ? ['--only-routed'] : [])],
  ];
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), BIN, ...args], {
    env: { ...process.env, RUNDOCK_CONFIG: '/dev/null' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = createWriteStream(o.logFile, { flags: 'a' });
  const reloads: Reload[] = [];
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => keep(line, log, reloads));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
    await exited;
    clearTimeout(timer);
    process.off('exit', killOnExit);
    log.end();
  };
  const file = join(o.nginx.confDir, 'rundock-upstreams.conf');
  const gateway = { pid: child.pid ?? 0, file, status, hostname, reloads, stop };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`rundock gateway exited with ${child.exitCode}`);
      return fetch(`http://${status}/healthz`)
        .then((r) => r.ok)
        .catch(() => false);
    }, 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return gateway;
}

function keep(line: string, log: NodeJS.WritableStream, reloads: Reload[]): void {
  log.write(`${line}\n`);
  if (!line.includes('"nginx reloaded"')) return;
  const entry = JSON.parse(line) as {
    time: string;
    render_ms?: number;
    test_ms: number;
    reload_ms: number;
    servers: number;
  };
  reloads.push({
    at: Date.parse(entry.time),
    renderMs: entry.render_ms,
    testMs: entry.test_ms,
    reloadMs: entry.reload_ms,
    servers: entry.servers,
  });
}
