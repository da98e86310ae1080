/**
 * A real `rundock dns` child process for tests and benchmarks: `node bin/rundock.js dns ...` on free loopback
 * ports, started and awaited until it answers DNS. Set RUNDOCK_TEST_DNS_FROM_SOURCE=1 to run the same command from
 * the TypeScript sources (through tsx) instead of the built bundle, e.g. to tell a bundling problem from a server one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BIN, freePort } from '../harness.js';
import { queryBytes, udpExchange } from './client.js';

const SOURCE_ENTRY = fileURLToPath(new URL('./cli-source.ts', import.meta.url));

/** The node arguments that run the rundock CLI: the built bin, or the sources through tsx. */
export function cliArgv(): string[] {
  return process.env.RUNDOCK_TEST_DNS_FROM_SOURCE === '1' ? ['--import', 'tsx', SOURCE_ENTRY] : [BIN];
}

export interface DnsProcessOptions {
  etcd: string;
  domain: string;
  forward?: string;
  defaultTtl?: number;
  /** DNS port; a free one by default. */
  port?: number;
  /** `--workers N`; without it the CLI's default. */
  workers?: number;
  /** More command-line arguments. */
  args?: readonly string[];
  /** Extra environment (RUNDOCK_LOG_LEVEL, ...). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait until it answers. Default 20 s. */
  startTimeoutMs?: number;
}

export interface DnsProcess {
  pid: number;
  /** DNS port, UDP and TCP, on 127.0.0.1. */
  port: number;
  /** /metrics and /status port on 127.0.0.1. */
  metricsPort: number;
  /** Everything it wrote to stderr and stdout (pino logs). */
  logs(): string;
  /** True while the process runs. */
  alive(): boolean;
  /** VmRSS (from /proc/PID/status) of the server and every process under it (workers), in KiB. */
  rssKiB(): Promise<number>;
  /** The pids of the server and every process under it. */
  pids(): Promise<number[]>;
  /**
   * Sends a signal to the server and waits for it to exit; resolves to its exit code (null when killed by a
   * signal). SIGKILL goes to its whole process group.
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Sends a signal to the whole process group without waiting (SIGSTOP / SIGCONT freeze and resume every process). */
  signal(signal: NodeJS.Signals): void;
}

/** Starts `rundock dns --etcd ... --domain ... --listen 127.0.0.1:PORT --metrics-listen 127.0.0.1:PORT2`. */
export async function startDnsProcess(o: DnsProcessOptions): Promise<DnsProcess> {
  const port = o.port ?? (await freePort());
  const metricsPort = await freePort();
  const args = [
    'dns',
    '--etcd',
    o.etcd,
    '--domain',
    o.domain,
    '--listen',
    `127.0.0.1:${port}`,
    '--status-listen',
    `127.0.0.1:${metricsPort}`,
  ];
  if (o.forward !== undefined) args.push('--forward', o.forward);
  if (o.defaultTtl !== undefined) args.push('--default-ttl', String(o.defaultTtl));
  if (o.workers !== undefined) args.push('--workers', String(o.workers));
  args.push(...(o.args ?? []));
  // Its own process group: signals reach the server and any worker processes it forks (SIGSTOP freezes them all).
  const child: ChildProcess = spawn(process.execPath, [...cliArgv(), ...args], {
    env: { ...process.env, RUNDOCK_CONFIG: '/dev/null', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const group = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  // A test that dies without its `after` hook must not leave the server running.
  const killOnExit = (): void => group('SIGKILL');
  process.once('exit', killOnExit);
  let logs = '';
  const keep = (chunk: Buffer): void => {
    logs += chunk.toString('utf8');
    if (logs.length > 2_000_000) logs = logs.slice(-1_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    }),
  );
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const dns: DnsProcess = {
    pid: child.pid ?? -1,
    port,
    metricsPort,
    logs: () => logs,
    alive: running,
    pids: () => processTree(child.pid ?? -1),
    rssKiB: async () => {
      let total = 0;
      for (const pid of await processTree(child.pid ?? -1)) total += await rssOf(pid);
      return total;
    },
    async stop(signal = 'SIGTERM') {
      if (signal === 'SIGKILL') group('SIGKILL');
      else if (running()) child.kill(signal);
      return exited;
    },
    signal: group,
  };
  try {
    await waitAnswering(
      port,
      () => {
        if (!running()) throw new Error(`rundock dns exited with ${child.exitCode ?? child.signalCode}:\n${logs}`);
      },
      o.startTimeoutMs ?? 20_000,
    );
  } catch (error) {
    await dns.stop('SIGKILL');
    throw error;
  }
  return dns;
}

/** Polls with an SOA query for the root (any reply will do) until the server answers. */
async function waitAnswering(port: number, check: () => void, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    check();
    if ((await udpExchange(port, queryBytes('.', 'SOA', { id: attempt & 0xffff }), 200)) !== undefined) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  check();
  throw new Error(`rundock dns on 127.0.0.1:${port} did not answer within ${timeoutMs} ms`);
}

/** VmRSS of one process in KiB (0 once it is gone). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
}

/** `pid` and its descendants, from the parent pids in /proc/N/stat. */
export async function processTree(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The command name (2nd field) is in parentheses and may hold spaces: the parent pid is the 2nd field after it.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(ppid)) parents.set(Number(entry), ppid);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  return tree;
}
