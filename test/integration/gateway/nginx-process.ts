/**
 * A real, throwaway nginx for gateway tests (and bench/gateway-reload.ts): its own prefix in a temporary directory,
 * never the system config, pid file or logs; it listens only where the rendered file says (tests: 127.0.0.1).
 * The main config includes `conf/rundock/*.conf` (the gateway's file) and `conf/extra/*.conf` (snippets a test adds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NginxOptions } from '../../../src/gateway/nginx.js';

export const NGINX_BIN = process.env.RUNDOCK_TEST_NGINX ?? '/usr/sbin/nginx';

export interface NginxProcess {
  prefix: string;
  /** Directory of the rendered file (the gateway's --nginx-conf-dir). */
  confDir: string;
  /** Directory of extra snippets included after it. */
  extraDir: string;
  /** What the gateway needs to test and reload this nginx. */
  options: NginxOptions;
  /** The error log's text so far. */
  errorLog(): Promise<string>;
  /** SIGQUIT (graceful), then SIGKILL after 5 s; removes the prefix. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts nginx in the foreground (`daemon off`) and resolves once its master has started workers. */
export async function startNginx(workers = 2): Promise<NginxProcess> {
  const prefix = await mkdtemp(join(tmpdir(), 'rundock-nginx-'));
  await chmod(prefix, 0o755); // workers run as nobody and must reach the temp paths
  const confDir = join(prefix, 'conf', 'rundock');
  const extraDir = join(prefix, 'conf', 'extra');
  for (const dir of [confDir, extraDir, join(prefix, 'logs'), join(prefix, 'tmp')])
    await mkdir(dir, { recursive: true });
  const conf = join(prefix, 'conf', 'nginx.conf');
  const pidFile = join(prefix, 'logs', 'nginx.pid');
  const errorLog = join(prefix, 'logs', 'error.log');
  await writeFile(conf, mainConfig(prefix, workers, pidFile, errorLog));
  const options: NginxOptions = { bin: NGINX_BIN, prefix: `${prefix}/`, conf, errorLog, pidFile, confirmMs: 5000 };
  const child = spawn(NGINX_BIN, ['-p', `${prefix}/`, '-c', conf, '-e', errorLog, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', killOnExit);
    // A worker of a graceful stop may still write its log after the master exits: ENOTEMPTY, retried.
    await rm(prefix, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  try {
    await waitForWorkers(pidFile, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { prefix, confDir, extraDir, options, errorLog: () => readFile(errorLog, 'utf8').catch(() => ''), stop };
}

function mainConfig(prefix: string, workers: number, pidFile: string, errorLog: string): string {
  const temp = (name: string): string => `    ${name}_temp_path ${prefix}/tmp/${name};\n`;
  return `worker_processes ${workers};
pid ${pidFile};
error_log ${errorLog} warn;
events { worker_connections 1024; }
http {
    access_log off;
${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('')}    include ${prefix}/conf/rundock/*.conf;
    include ${prefix}/conf/extra/*.conf;
}
`;
}

/** Polls (every 50 ms, at most 10 s) until the pid file names a master with children. */
async function waitForWorkers(pidFile: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const pid = (await readFile(pidFile, 'utf8').catch(() => '')).trim();
    const children = pid === '' ? '' : await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
    if (children.trim() !== '') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not start (exit ${child.exitCode}):\n${stderr()}`);
}
