import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { createSocket, type Socket } from 'node:dgram';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import pino from 'pino';
import { startDnsCluster, type DnsCluster, type DnsClusterOptions } from './workers.js';
import { waitFor } from '../../../test/support/wait.js';

const HOST = '127.0.0.1';
const DOMAIN = 's.workers.example.com';
const log = pino({ level: 'silent' });
const fixture = fileURLToPath(new URL('./workers-fixture.ts', import.meta.url));

function options(listenPort = 0): DnsClusterOptions {
  return {
    // Nothing listens on port 1: the workers serve an empty zone and keep retrying etcd in the background.
    settings: {
      domain: DOMAIN,
      etcd: { hosts: [`http://${HOST}:1`] },
      listen: { host: HOST, port: listenPort },
      defaultTtl: 30,
    },
    workers: 2,
    statusListen: { host: HOST, port: 0 },
    log,
    fork: { exec: fixture, execArgv: ['--import', 'tsx'] },
  };
}

function query(name: string, id: number): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A' }] });
}

/** Sends `count` queries from one socket and resolves with the replies' rcodes. */
async function ask(port: number, count: number): Promise<string[]> {
  const socket = createSocket('udp4');
  const rcodes: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${rcodes.length} of ${count} answers`)), 5000);
    socket.on('message', (reply) => {
      rcodes.push((dnsPacket.decode(reply) as { rcode?: string }).rcode ?? '?');
      if (rcodes.length === count) {
        clearTimeout(timer);
        resolve();
      }
    });
    for (let i = 0; i < count; i++) socket.send(query(`n${i}.${DOMAIN}`, i), port, HOST);
  });
  socket.close();
  return rcodes;
}

async function get(cluster: DnsCluster, path: string): Promise<string> {
  const response = await fetch(`http://${HOST}:${cluster.statusAddress.port}${path}`);
  return response.text();
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('DNS workers (node:cluster)', { timeout: 90_000 }, () => {
  const started: DnsCluster[] = [];
  after(async () => {
    for (const cluster of started) await cluster.stop();
  });

  it('serves one address from every worker, aggregates metrics, restarts a dead worker and stops them all', async () => {
    const cluster = await startDnsCluster(options());
    started.push(cluster);
    const port = Number(cluster.listen?.split(':')[1]);
    assert.ok(port > 0, `listening on ${cluster.listen}`);

    const status = cluster.status();
    assert.equal(status.workers.length, 2);
    assert.ok(status.workers.every((w) => w.state === 'ready' && w.pid !== null && w.pid !== process.pid));
    const pids = status.workers.map((w) => w.pid as number);
    assert.notEqual(pids[0], pids[1]);

    // The names are in the zone, which is empty: NXDOMAIN (an answer, authoritative), never REFUSED.
    assert.deepEqual(new Set(await ask(port, 50)), new Set(['NXDOMAIN']));

    const metrics = await get(cluster, '/metrics');
    assert.match(
      metrics,
      /^rundock_dns_queries_total\{qtype="A",rcode="NXDOMAIN"\} 50$/m,
      'counters are summed over the workers',
    );
    assert.match(metrics, /^rundock_dns_records\{worker="1"\} 0$/m, 'gauges are per worker');
    assert.match(metrics, /^rundock_dns_records\{worker="2"\} 0$/m);
    assert.match(metrics, /^rundock_dns_workers 2$/m);
    const served = JSON.parse(await get(cluster, '/status')) as { workers: { state: string }[] };
    assert.equal(served.workers.length, 2);

    process.kill(pids[0] as number, 'SIGKILL');
    await waitFor(
      () => {
        const first = cluster.status().workers[0];
        return first?.state === 'ready' && first.restarts === 1 && first.pid !== pids[0];
      },
      20_000,
      100,
      'the dead worker to be replaced',
    );
    assert.match(await get(cluster, '/metrics'), /^rundock_dns_worker_restarts_total 1$/m);
    assert.deepEqual(new Set(await ask(port, 10)), new Set(['NXDOMAIN']));

    const last = cluster.status().workers.map((w) => w.pid as number);
    await cluster.stop();
    started.pop();
    assert.ok(
      last.every((pid) => !alive(pid)),
      'every worker has exited',
    );
    await assert.rejects(fetch(`http://${HOST}:${cluster.statusAddress.port}/status`));
  });

  it('fails to start, and leaves no worker behind, when the address is taken', async () => {
    const taken: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, HOST, resolve));
    try {
      await assert.rejects(
        startDnsCluster(options(taken.address().port)),
        /DNS worker \d exited \(code 1\) before serving: bind EADDRINUSE/,
      );
      assert.deepEqual(Object.values(cluster.workers ?? {}), [], 'the other worker was stopped too');
    } finally {
      taken.close();
    }
  });
});
