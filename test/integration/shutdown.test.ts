/**
 * Shutdown never hangs (issue 12): `rundock agent` (also with --dns and --nginx-conf-dir), `rundock dns` and
 * `rundock gateway` exit 0 within 5 s of SIGTERM or SIGINT, whatever the state of etcd: stopped (connections
 * refused), frozen with SIGSTOP (a member that keeps its connections and answers nothing, as one cut off without a
 * reset), or an endpoint that accepts connections and never answers. The agents here withdraw on exit
 * (`--withdraw-on-exit`, the stop that asks etcd most); each logs what it could not withdraw and a final `stopped`
 * line; a second signal exits at once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startAgent, waitFor } from './agent-process.js';
import { startDnsProcess } from './dns/dns-process.js';
import { startNginx, type NginxProcess } from './gateway/nginx-process.js';
import { ADDRESSES, BIN, freePort, uniqueName } from './harness.js';
import { startEtcd, startEtcdCluster, type EtcdCluster, type EtcdProcess } from './registry/etcd-process.js';

const DOMAIN = 's.stop.example.com';
/** The promise: exit within 5 s of the signal. */
const BOUND_MS = 5000;

/** A long-running rundock command as a child process: its logs, and a stop that times the exit. */
interface Daemon {
  logs(): string;
  /** Sends the signals (200 ms apart) and resolves with the exit status and the time from the first to the exit. */
  stop(...signals: NodeJS.Signals[]): Promise<{ code: number | null; ms: number }>;
}

/** Starts `rundock ARGS...` and resolves once its log satisfies `ready`. */
async function startDaemon(args: readonly string[], ready: (logs: string) => boolean): Promise<Daemon> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, RUNDOCK_CONFIG: '/dev/null' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logs = '';
  child.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const daemon = daemonOf(child.kill.bind(child), exited, () => logs);
  try {
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`rundock ${args[0]} exited with ${child.exitCode}:\n${logs}`);
      return ready(logs);
    }, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return daemon;
}

function daemonOf(
  kill: (signal: NodeJS.Signals) => boolean,
  exited: Promise<number | null>,
  logs: () => string,
): Daemon {
  return {
    logs,
    async stop(...signals) {
      const started = Date.now();
      for (const [i, signal] of signals.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, 200));
        kill(signal);
      }
      const code = await exited;
      return { code, ms: Date.now() - started };
    },
  };
}

/** Asserts the exit: status 0, within the bound, after a `stopped` line. */
function assertStopped(result: { code: number | null; ms: number }, logs: string, what: string): void {
  process.stderr.write(`# ${what}: exit ${result.code} ${result.ms} ms after the signal\n`);
  assert.equal(result.code, 0, `${what}: exit status\n${logs}`);
  assert.ok(result.ms < BOUND_MS, `${what}: exited ${result.ms} ms after the signal\n${logs}`);
  assert.match(logs, /"msg":"stopped"/, `${what}: no final stopped line`);
}

describe('long-running commands stop within 5 s whatever the state of etcd', () => {
  let stopped: EtcdProcess;
  let frozen: EtcdCluster;
  let silent: { server: Server; sockets: Set<Socket>; endpoint: string };
  let nginx: NginxProcess;

  before(async () => {
    [stopped, frozen, nginx] = await Promise.all([startEtcd(), startEtcdCluster(1), startNginx(1)]);
    const sockets = new Set<Socket>();
    // Accepts and never answers: gRPC's handshake waits on it as on a blackholed address.
    const server = createServer((socket) => (sockets.add(socket), socket.on('close', () => sockets.delete(socket))));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    silent = { server, sockets, endpoint: `http://127.0.0.1:${port}` };
  });
  after(async () => {
    frozen?.members[0]?.resume();
    for (const socket of silent?.sockets ?? []) socket.destroy();
    silent?.server.close();
    await Promise.all([stopped?.kill(), frozen?.kill(), nginx?.stop()]);
  });

  const frozenEndpoint = (): string => frozen.endpoints[0] ?? '';
  const member = (): { pause(): void; resume(): void } => frozen.members[0] ?? { pause() {}, resume() {} };
  const agentArgs = (etcd: string, host: string): string[] => [
    '--etcd',
    etcd,
    '--domain',
    DOMAIN,
    '--hostname',
    host,
    '--lease-ttl',
    '30',
    '--withdraw-on-exit',
    ...ADDRESSES,
  ];
  /** Resolves once `key` is in etcd at `endpoint` (the process has written what it will have to withdraw). */
  const written = async (endpoint: string, key: string): Promise<void> => {
    const client = new Etcd3({ hosts: endpoint });
    try {
      await waitFor(async () => (await client.get(key).string()) !== null, 20_000, 100);
    } finally {
      client.close();
    }
  };

  it('the agent, etcd stopped: exit 0 within 5 s, saying what it could not withdraw', async () => {
    const host = uniqueName('stop');
    const agent = await startAgent(agentArgs(stopped.endpoint, host));
    await written(stopped.endpoint, `/rundock/hosts/${host}`);
    await stopped.stop();
    try {
      const t = Date.now();
      const code = await agent.stop('SIGTERM');
      assertStopped({ code, ms: Date.now() - t }, agent.logs(), 'agent');
      // The agent announces every rundock container of this shared engine: its host record, and maybe others.
      assert.match(agent.logs(), /records not withdrawn \(\d+ keys?\); they expire with lease \d+ within 30 s/);
    } finally {
      await stopped.start();
    }
  });

  // Whether the records go is up to the member once it thaws: the delete it was sent may be in its socket already.
  it('the agent, etcd frozen (SIGSTOP): exit 0 within 5 s, saying its records are left to the lease', async () => {
    const host = uniqueName('stop');
    const agent = await startAgent(agentArgs(frozenEndpoint(), host));
    await written(frozenEndpoint(), `/rundock/hosts/${host}`);
    member().pause();
    try {
      const t = Date.now();
      const code = await agent.stop('SIGTERM');
      assertStopped({ code, ms: Date.now() - t }, agent.logs(), 'agent');
      assert.match(agent.logs(), /records not withdrawn .* did not confirm the withdrawal in time/);
    } finally {
      member().resume();
    }
  });

  it('the agent, an etcd endpoint that accepts and never answers: exit 0 within 5 s', async () => {
    const agent = await startAgent(agentArgs(silent.endpoint, uniqueName('stop')));
    const t = Date.now();
    const code = await agent.stop('SIGINT');
    assertStopped({ code, ms: Date.now() - t }, agent.logs(), 'agent');
  });

  it('the agent with --dns and --nginx-conf-dir, etcd frozen: exit 0 within 5 s', async () => {
    const host = uniqueName('stop');
    const args = [...agentArgs(frozenEndpoint(), host), '--dns', `127.0.0.1:${await freePort()}`, ...nginxArgs(nginx)];
    const agent = await startAgent(args);
    await written(frozenEndpoint(), `/rundock/gateways/${host}`);
    member().pause();
    try {
      const t = Date.now();
      const code = await agent.stop('SIGTERM');
      assertStopped({ code, ms: Date.now() - t }, agent.logs(), 'agent --dns --nginx-conf-dir');
    } finally {
      member().resume();
    }
  });

  it('a second signal exits at once', async () => {
    const host = uniqueName('stop');
    const agent = await startDaemon(
      [
        'agent',
        '--status-listen',
        `127.0.0.1:${await freePort()}`,
        '--state-dir',
        mkdtempSync(join(tmpdir(), 'rundock-stop-')),
        ...agentArgs(frozenEndpoint(), host),
      ],
      (l) => l.includes('agent started'),
    );
    await written(frozenEndpoint(), `/rundock/hosts/${host}`);
    member().pause();
    try {
      const result = await agent.stop('SIGTERM', 'SIGINT');
      assert.equal(result.code, 0, agent.logs());
      assert.ok(result.ms < 1500, `exited ${result.ms} ms after the first signal`);
      assert.match(agent.logs(), /second signal: exiting at once/);
    } finally {
      member().resume();
    }
  });

  it('rundock dns --workers 2, etcd frozen: the primary and its workers exit 0 within 5 s', async () => {
    const dns = await startDnsProcess({ etcd: frozenEndpoint(), domain: DOMAIN, workers: 2 });
    await waitFor(() => dns.logs().includes('"msg":"dns serving"'), 20_000); // every worker serves
    member().pause();
    try {
      const t = Date.now();
      const code = await dns.stop('SIGTERM');
      assertStopped({ code, ms: Date.now() - t }, dns.logs(), 'dns --workers 2');
      assert.equal(
        (dns.logs().match(/"msg":"stopped"/g) ?? []).length,
        3,
        `the primary and both workers:\n${dns.logs()}`,
      );
    } finally {
      member().resume();
    }
  });

  for (const state of ['stopped', 'frozen'] as const) {
    it(`rundock dns, etcd ${state}: exit 0 within 5 s`, async () => {
      const endpoint = state === 'stopped' ? stopped.endpoint : frozenEndpoint();
      const dns = await startDnsProcess({ etcd: endpoint, domain: DOMAIN });
      if (state === 'stopped') await stopped.stop();
      else member().pause();
      try {
        const t = Date.now();
        const code = await dns.stop('SIGTERM');
        assertStopped({ code, ms: Date.now() - t }, dns.logs(), 'dns');
      } finally {
        if (state === 'stopped') await stopped.start();
        else member().resume();
      }
    });

    it(`rundock gateway, etcd ${state}: exit 0 within 5 s, its report left to the lease`, async () => {
      const endpoint = state === 'stopped' ? stopped.endpoint : frozenEndpoint();
      const host = uniqueName('gw');
      const gateway = await startDaemon(
        ['gateway', '--etcd', endpoint, '--domain', DOMAIN, '--hostname', host, ...nginxArgs(nginx)].concat(
          '--metrics-listen',
          `127.0.0.1:${await freePort()}`,
        ),
        (l) => l.includes('gateway started'),
      );
      await written(endpoint, `/rundock/gateways/${host}`);
      if (state === 'stopped') await stopped.stop();
      else member().pause();
      try {
        const result = await gateway.stop('SIGTERM');
        assertStopped(result, gateway.logs(), 'gateway');
        assert.match(gateway.logs(), /report not withdrawn \(1 key\)/);
      } finally {
        if (state === 'stopped') await stopped.start();
        else member().resume();
      }
    });
  }
});

/** The gateway flags for the test's nginx. */
function nginxArgs(nginx: NginxProcess): string[] {
  const o = nginx.options;
  return [
    '--nginx-conf-dir',
    nginx.confDir,
    '--nginx',
    o.bin,
    '--nginx-prefix',
    o.prefix ?? '',
    '--nginx-conf',
    o.conf ?? '',
    '--nginx-error-log',
    o.errorLog ?? '',
    '--nginx-pid-file',
    o.pidFile ?? '',
  ];
}
