/**
 * The per-client response rate limit of a real `rundock dns`: a burst from one address is cut to the limit (the
 * excess dropped or answered TC=1, never amplified) while another address is served in full; loopback clients are
 * exempt by default. Sources are addresses of 127.0.0.0/8, all this host's own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { decodeReply, queryBytes, UdpClient } from './client.js';
import { startDnsProcess, type DnsProcess } from './dns-process.js';

const DOMAIN = 's.limit.example.com';
const NAME = `influxdb.${DOMAIN}`;
const RATE = 20;
const BURST_QUERIES = 300;

interface Tally {
  answered: number;
  truncated: number;
  silent: number;
  bytesIn: number;
  bytesOut: number;
}

/** Sends `count` queries from `from` as fast as replies allow (8 in flight), tallying what came back. */
async function burst(port: number, from: string, count: number): Promise<Tally> {
  const client = new UdpClient(port, from);
  const tally: Tally = { answered: 0, truncated: 0, silent: 0, bytesIn: 0, bytesOut: 0 };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const id = (next++ % 0xfffe) + 1;
      const query = queryBytes(NAME, 'A', { id });
      tally.bytesOut += query.length;
      const raw = await client.exchange(query, 150);
      if (raw === undefined) tally.silent++;
      else {
        tally.bytesIn += raw.length;
        const reply = decodeReply(raw);
        if (reply.tc && reply.answers.length === 0) tally.truncated++;
        else if (reply.answers.length > 0) tally.answered++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: 8 }, lane));
  } finally {
    client.close();
  }
  return tally;
}

describe('rundock dns rate limit per client address', () => {
  let etcd: EtcdProcess;
  let limited: DnsProcess;
  let defaults: DnsProcess;

  before(async () => {
    etcd = await startEtcd();
    const client = new Etcd3({ hosts: etcd.endpoint });
    await client.put('/skydns/com/example/limit/s/influxdb/node-back-1').value('{"host":"10.0.0.5","port":8086}');
    client.close();
    limited = await startDnsProcess({
      etcd: etcd.endpoint,
      domain: DOMAIN,
      workers: 1,
      args: ['--dns-rate-limit', String(RATE), '--dns-rate-limit-exempt', ''],
    });
    defaults = await startDnsProcess({ etcd: etcd.endpoint, domain: DOMAIN, workers: 1 });
  });

  after(async () => {
    await limited?.stop();
    await defaults?.stop();
    await etcd?.stop();
  });

  it('cuts a burst from one address to the limit while another address is served in full', async (t) => {
    const started = performance.now();
    const [busy, other] = await Promise.all([
      burst(limited.port, '127.0.0.2', BURST_QUERIES),
      // Starts once the busy client has used up its bucket.
      new Promise<Tally>((resolve) => setTimeout(() => resolve(burst(limited.port, '127.0.0.3', 20)), 300)),
    ]);
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(
      `busy client: ${JSON.stringify(busy)} in ${seconds.toFixed(2)} s; other client: ${JSON.stringify(other)}`,
    );
    const allowed = 2 * RATE + Math.ceil(RATE * seconds);
    assert.ok(busy.answered <= allowed, `${busy.answered} answers to the busy client, at most ${allowed} allowed`);
    assert.ok(busy.answered >= 2 * RATE, `the burst size (${2 * RATE}) is answered, got ${busy.answered}`);
    assert.ok(busy.truncated > 0 && busy.silent > 0, 'the excess is partly dropped, partly told to retry over TCP');
    assert.ok(busy.bytesIn < busy.bytesOut, `never amplifies: ${busy.bytesIn} bytes out for ${busy.bytesOut} in`);
    assert.equal(other.answered, 20, 'the other address gets every answer');
    const metrics = await (await fetch(`http://127.0.0.1:${limited.metricsPort}/metrics`)).text();
    assert.match(metrics, /rundock_dns_rate_limited_total\{action="drop"\} [1-9]/);
    assert.match(metrics, /rundock_dns_rate_limited_total\{action="slip"\} [1-9]/);
  });

  it('by default leaves loopback clients unlimited', async () => {
    const tally = await burst(defaults.port, '127.0.0.2', BURST_QUERIES);
    assert.equal(tally.answered, BURST_QUERIES);
  });

  it('a bad limit is refused with status 2, naming the flag', async () => {
    const { spawnSync } = await import('node:child_process');
    const { BIN } = await import('../harness.js');
    const result = spawnSync(
      process.execPath,
      [BIN, 'dns', '--etcd', etcd.endpoint, '--domain', DOMAIN, '--dns-rate-limit-exempt', '10.0.0.0/40'],
      { encoding: 'utf8', env: { ...process.env, RUNDOCK_CONFIG: '/dev/null' } },
    );
    assert.equal(result.status, 2);
    assert.match(result.stderr, /dns-rate-limit-exempt.*10\.0\.0\.0\/40/);
  });
});
