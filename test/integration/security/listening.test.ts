/**
 * Nothing listens where it should not: with default settings (and --dns/--listen given as loopback addresses), every
 * listening TCP socket and every unconnected UDP socket of the agent, `rundock dns` (primary and workers) and
 * `rundock gateway` is bound to 127.0.0.1, never to all interfaces. Read from /proc (the processes' socket inodes
 * matched against /proc/net/{tcp,udp}{,6}).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, waitFor, type AgentProcess } from '../agent-process.js';
import { ADDRESSES, BIN, freePort } from '../harness.js';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { startDnsProcess, type DnsProcess } from '../dns/dns-process.js';

const DOMAIN = 's.listen.example.com';

interface Listener {
  proto: 'tcp' | 'udp';
  local: string;
  port: number;
}

/** "0100007F:1F90" (little-endian IPv4) or the 32-hex-digit IPv6 form, as /proc/net prints addresses. */
function decodeAddress(hex: string): { address: string; port: number } {
  const [ip = '', port = ''] = hex.split(':');
  if (ip.length === 8) return { address: [...Buffer.from(ip, 'hex').reverse()].join('.'), port: parseInt(port, 16) };
  const words = ip.match(/.{8}/g) ?? [];
  const bytes = Buffer.concat(words.map((w) => Buffer.from(w, 'hex').reverse()));
  return { address: bytes.toString('hex').match(/.{4}/g)?.join(':') ?? ip, port: parseInt(port, 16) };
}

/** The listening sockets (TCP LISTEN, unconnected UDP) of `pid` and its descendants. */
async function listenersOf(pid: number): Promise<Listener[]> {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    const children = await readFile(`/proc/${pids[i]}/task/${pids[i]}/children`, 'utf8').catch(() => '');
    pids.push(...children.split(' ').filter(Boolean).map(Number));
  }
  const inodes = new Set<string>();
  for (const p of pids) {
    for (const fd of await readdir(`/proc/${p}/fd`).catch(() => [])) {
      const target = await readlink(`/proc/${p}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1]) inodes.add(match[1]);
    }
  }
  const found: Listener[] = [];
  for (const [file, proto] of [
    ['tcp', 'tcp'],
    ['tcp6', 'tcp'],
    ['udp', 'udp'],
    ['udp6', 'udp'],
  ] as const) {
    const lines = (await readFile(`/proc/net/${file}`, 'utf8')).trim().split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      const [local = '', remote = '', state = '', inode = ''] = [f[1], f[2], f[3], f[9]];
      if (!inodes.has(inode)) continue;
      const listening = proto === 'tcp' ? state === '0A' : /^0+:0000$/.test(remote);
      if (listening)
        found.push({ proto, ...(({ address, port }) => ({ local: address, port }))(decodeAddress(local)) });
    }
  }
  return found;
}

describe('listening sockets', () => {
  let etcd: EtcdProcess;
  let agent: AgentProcess;
  let dns: DnsProcess;
  let gateway: ChildProcess;
  let confDir: string;
  let stateDir: string;
  let agentDns: number;
  let gatewayStatus: number;

  before(async () => {
    etcd = await startEtcd();
    stateDir = await mkdtemp(join(tmpdir(), 'rundock-listen-'));
    confDir = await mkdtemp(join(tmpdir(), 'rundock-listen-nginx-'));
    agentDns = await freePort();
    agent = await startAgent([
      '--etcd',
      etcd.endpoint,
      '--domain',
      DOMAIN,
      '--hostname',
      'node-l1',
      '--dns',
      `127.0.0.1:${agentDns}`,
      ...ADDRESSES,
    ]);
    dns = await startDnsProcess({ etcd: etcd.endpoint, domain: DOMAIN, workers: 2 });
    gatewayStatus = await freePort();
    gateway = spawn(
      process.execPath,
      [
        BIN,
        'gateway',
        '--etcd',
        etcd.endpoint,
        '--domain',
        DOMAIN,
        '--nginx-conf-dir',
        confDir,
        '--nginx-pid-file',
        join(confDir, 'none.pid'),
        '--metrics-listen',
        `127.0.0.1:${gatewayStatus}`,
      ],
      {
        env: { ...process.env, RUNDOCK_CONFIG: '/dev/null' },
        stdio: 'ignore',
      },
    );
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${gatewayStatus}/status`).then(
          (r) => r.ok,
          () => false,
        ),
      15_000,
      50,
    );
  });

  after(async () => {
    gateway?.kill('SIGKILL');
    await agent?.stop('SIGKILL');
    await dns?.stop();
    await etcd?.stop();
    await rm(stateDir, { recursive: true, force: true });
    await rm(confDir, { recursive: true, force: true });
  });

  it('the agent with --dns listens on loopback only: its status endpoint, and DNS where told', async () => {
    const listeners = await listenersOf(agent.pid);
    const statusPort = Number(agent.status.split(':')[1]);
    assert.deepEqual(
      listeners.filter((l) => l.local !== '127.0.0.1'),
      [],
      JSON.stringify(listeners),
    );
    assert.ok(
      listeners.some((l) => l.proto === 'tcp' && l.port === statusPort),
      'its status endpoint',
    );
    assert.ok(
      listeners.some((l) => l.proto === 'udp' && l.port === agentDns) &&
        listeners.some((l) => l.proto === 'tcp' && l.port === agentDns),
      'its DNS, UDP and TCP',
    );
  });

  it('rundock dns (primary and workers) listens only on the address it is told and its loopback metrics', async () => {
    const listeners = await listenersOf(dns.pid);
    assert.deepEqual(
      listeners.filter((l) => l.local !== '127.0.0.1'),
      [],
      JSON.stringify(listeners),
    );
    assert.deepEqual(
      [...new Set(listeners.map((l) => `${l.proto}:${l.port}`))].sort(),
      [`tcp:${dns.metricsPort}`, `tcp:${dns.port}`, `udp:${dns.port}`].sort(),
    );
  });

  it('rundock gateway listens only on its loopback metrics address', async () => {
    const listeners = await listenersOf(gateway.pid ?? 0);
    assert.deepEqual(listeners, [{ proto: 'tcp', local: '127.0.0.1', port: gatewayStatus }]);
  });
});
