/**
 * A real, throwaway, single-member etcd for tests: loopback only, its own free ports and temporary data directory.
 * Reusable by any test that needs etcd (agent, DNS, gateway).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env.RUNDOCK_TEST_ETCD ?? '/usr/bin/etcd';

export interface EtcdProcess {
  /** Client URL, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  dataDir: string;
  /** SIGTERM and wait for exit; the data directory is kept, so start() brings the same member back. */
  stop(): Promise<void>;
  /** Starts the member again (after stop) and waits until it answers. */
  start(): Promise<void>;
  /** SIGKILL if running, then removes the data directory. Safe to call twice; use it in `after` hooks. */
  kill(): Promise<void>;
}

/** Serve clients over TLS: etcd's certificate and key, and (with `clientCA`) --client-cert-auth against that CA. */
export interface EtcdTlsOptions {
  certFile: string;
  keyFile: string;
  /** --trusted-ca-file; with it, clients must present a certificate signed by this CA. */
  clientCA?: string;
  /** For the health check: the CA of certFile, and a client certificate and key when clientCA is set. */
  check: { caFile: string; certFile?: string; keyFile?: string };
}

export interface EtcdOptions {
  tls?: EtcdTlsOptions;
  /** More etcd flags. */
  extraArgs?: string[];
}

/** Starts etcd and resolves once it reports healthy. */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rundock-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const tls = options.tls;
  const endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name',
    't',
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    endpoint,
    '--advertise-client-urls',
    endpoint,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    `t=${peer}`,
    '--log-level',
    'error',
    '--logger',
    'zap',
    ...(tls ? ['--cert-file', tls.certFile, '--key-file', tls.keyFile] : []),
    ...(tls?.clientCA ? ['--client-cert-auth', '--trusted-ca-file', tls.clientCA] : []),
    ...(options.extraArgs ?? []),
  ];
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    if (child) throw new Error('etcd is already running');
    const spawned = spawnEtcd(args);
    const started = spawned.child;
    child = started;
    started.once('exit', () => {
      if (child === started) child = undefined;
    });
    await waitHealthy(endpoint, spawned, tls?.check);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };
  const kill = async (): Promise<void> => {
    await stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (error) {
    await kill();
    throw error;
  }
  return { endpoint, dataDir, start, stop: () => stop(), kill };
}

/** One member of a test cluster: its client URL, and signals to stop, freeze and thaw it. */
export interface EtcdMember {
  endpoint: string;
  /** SIGSTOP: the member keeps its connections open and answers nothing, as a member cut off from its clients. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

export interface EtcdCluster {
  members: EtcdMember[];
  endpoints: string[];
  /** SIGKILL every member and remove their data directories. */
  kill(): Promise<void>;
}

export interface EtcdClusterOptions {
  /**
   * The loopback address of member i (default 127.0.0.1 for all). Members on addresses other than 127.0.0.1 (e.g.
   * 127.0.0.11-13) are not this host's own to rundock's etcd client, which then spreads its calls over them in random
   * order, as the clients of a many-host cluster do.
   */
  address?: (member: number) => string;
}

/** Starts an etcd cluster of `size` members on loopback and resolves once every member reports healthy. */
export async function startEtcdCluster(size = 3, options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const address = options.address ?? (() => '127.0.0.1');
  const ports = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const initial = ports.map((p, i) => `m${i}=http://${address(i)}:${p.peer}`).join(',');
  const token = `rundock-test-${ports[0]?.peer}`;
  const dataDirs = await Promise.all(ports.map(() => mkdtemp(join(tmpdir(), 'rundock-etcd-'))));
  const spawned = ports.map((p, i) => {
    const endpoint = `http://${address(i)}:${p.client}`;
    const peer = `http://${address(i)}:${p.peer}`;
    return {
      endpoint,
      process: spawnEtcd([
        '--name',
        `m${i}`,
        '--data-dir',
        dataDirs[i] as string,
        '--listen-client-urls',
        endpoint,
        '--advertise-client-urls',
        endpoint,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        initial,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        token,
        '--log-level',
        'error',
        '--logger',
        'zap',
      ]),
    };
  });
  const kill = async (): Promise<void> => {
    await Promise.all(
      spawned.map(
        ({ process: { child } }) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
            child.once('exit', resolve);
            child.kill('SIGKILL');
          }),
      ),
    );
    await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
  };
  try {
    await Promise.all(spawned.map((m) => waitHealthy(m.endpoint, m.process)));
  } catch (error) {
    await kill();
    throw error;
  }
  const members = spawned.map(({ endpoint, process: { child } }) => ({
    endpoint,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
  }));
  return { members, endpoints: members.map((m) => m.endpoint), kill };
}

interface Spawned {
  child: ChildProcess;
  /** The last lines etcd wrote to stderr, to show why it did not come up. */
  stderr: () => string;
}

function spawnEtcd(args: string[]): Spawned {
  const child = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // A test that exits without its `after` hook (an uncaught error) must not leave etcd running.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  });
  return { child, stderr: () => tail };
}

/** Polls `/health` until etcd answers healthy; fails fast if the process exits. */
async function waitHealthy(
  endpoint: string,
  { child, stderr }: Spawned,
  tls?: EtcdTlsOptions['check'],
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  while (Date.now() < deadline && !exited) {
    try {
      const body = JSON.parse(
        tls
          ? await httpsGet(`${endpoint}/health`, tls)
          : await (await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) })).text(),
      ) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`etcd at ${endpoint} did not become healthy (${exited ? 'it exited' : 'timeout'}):\n${stderr()}`);
}

/** GET over TLS with a CA and optionally a client certificate (fetch takes neither). */
async function httpsGet(url: string, tls: EtcdTlsOptions['check']): Promise<string> {
  const [ca, cert, key] = await Promise.all([
    readFile(tls.caFile),
    tls.certFile ? readFile(tls.certFile) : undefined,
    tls.keyFile ? readFile(tls.keyFile) : undefined,
  ]);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, cert, key, timeout: 1000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
