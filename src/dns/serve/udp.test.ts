import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import pino from 'pino';
import { DnsMetrics } from '../metrics.js';
import { startDnsServer, type DnsServer } from './server.js';
import { udpBatchAddon } from './udp-batch.js';
import { ZoneIndex } from '../answer/zone-index.js';

const log = pino({ level: 'silent' });
const NAMES = 40;
const address = (i: number): string => `10.2.0.${i}`;
/** Query ids with both bytes set, so an answer under another id shows. */
const ID = 0x4100;

function zone(): ZoneIndex {
  const index = new ZoneIndex('s.prod.example.com');
  for (let i = 0; i < NAMES; i++)
    index.put(`/skydns/com/example/prod/s/svc${i}/h1`, JSON.stringify({ host: address(i), ttl: 30 }));
  return index;
}

function query(name: string, id: number): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A' }] });
}

/** A client socket that collects every reply by id. */
async function client(type: 'udp4' | 'udp6', host: string): Promise<{ socket: Socket; replies: Map<number, Buffer> }> {
  const socket = createSocket(type);
  const replies = new Map<number, Buffer>();
  socket.on('message', (reply) => replies.set(reply.readUInt16BE(0), reply));
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { socket, replies };
}

/** Waits until `done()` holds, at most `ms`. */
async function until(done: () => boolean, ms = 3000): Promise<void> {
  for (const started = Date.now(); !done() && Date.now() - started < ms;)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

const firstAddress = (reply: Buffer | undefined): string | undefined => {
  const answer = reply === undefined ? undefined : dnsPacket.decode(reply).answers?.[0];
  return answer?.type === 'A' ? answer.data : undefined;
};

// The batched engine answers in the addon's shared memory; these hold it to the same answers as one query at a time.
describe('UDP listener, batched engine', () => {
  const metrics = new DnsMetrics();
  let server: DnsServer;
  let upstream: DnsServer;

  before(async () => {
    const { addon, reason } = udpBatchAddon();
    assert.ok(addon, `the batched engine is built (npm run build): ${reason}`);
    const elsewhere = new ZoneIndex('example.org');
    elsewhere.put('/skydns/org/example/www/h1', '{"host":"192.0.2.8"}');
    upstream = await startDnsServer({ listen: { host: '127.0.0.1', port: 0 }, zones: elsewhere, ...common() });
    server = await startDnsServer({ listen: { host: '127.0.0.1', port: 0 }, zones: zone(), metrics, ...common() });
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  it('answers bursts from several clients, cached or not, each query under its own id', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => client('udp4', '127.0.0.1')));
    // 3 clients x 200 queries over 40 names: most are answered from the cache, many in batches of several.
    for (let i = 0; i < 200; i++)
      for (const c of clients)
        c.socket.send(query(`svc${i % NAMES}.s.prod.example.com`, ID + i), server.udpAddress.port);
    await until(() => clients.every((c) => c.replies.size === 200));
    for (const c of clients) c.socket.close();
    for (const c of clients) {
      for (let i = 0; i < 200; i++) assert.equal(firstAddress(c.replies.get(ID + i)), address(i % NAMES), `query ${i}`);
    }
    const text = await metrics.registry.metrics();
    assert.match(text, /^rundock_dns_queries_total\{qtype="A",rcode="NOERROR"\} 600$/m);
    assert.match(text, /^rundock_dns_query_duration_seconds_count 600$/m, 'every answer timed once');
  });

  it('serves an IPv6 socket the same, and sends a forwarded answer back to its client later', async () => {
    const v6 = await startDnsServer({
      listen: { host: '::1', port: 0 },
      zones: zone(),
      forward: `127.0.0.1:${upstream.udpAddress.port}`,
      ...common(),
    });
    const c = await client('udp6', '::1');
    try {
      for (let i = 0; i < 6; i++) c.socket.send(query('svc7.s.prod.example.com', i), v6.udpAddress.port, '::1');
      c.socket.send(query('www.example.org', 99), v6.udpAddress.port, '::1');
      await until(() => c.replies.size === 7);
      for (let i = 0; i < 6; i++) assert.equal(firstAddress(c.replies.get(i)), address(7));
      assert.equal(firstAddress(c.replies.get(99)), '192.0.2.8', "the upstream's answer");
    } finally {
      c.socket.close();
      await v6.close();
    }
  });

  it('rate-limits an IPv4 client by its address: the burst answered, then drops and TC=1 in turn', async () => {
    const limited = await startDnsServer({
      listen: { host: '127.0.0.1', port: 0 },
      zones: zone(),
      rateLimit: { perSecond: 1, burst: 5, exempt: [] },
      ...common(),
    });
    const c = await client('udp4', '127.0.0.1');
    try {
      for (let i = 0; i < 25; i++) c.socket.send(query('svc1.s.prod.example.com', i), limited.udpAddress.port);
      await until(() => c.replies.size >= 15, 1000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const truncated = [...c.replies.values()].filter((r) => dnsPacket.decode(r).flag_tc === true);
      const answered = [...c.replies.values()].filter((r) => firstAddress(r) === address(1));
      // 5 at once, a sixth if the burst took over a second (the bucket refills one a second).
      assert.ok(answered.length === 5 || answered.length === 6, `${answered.length} answered`);
      assert.equal(truncated.length, Math.floor((25 - answered.length) / 2), 'every second one over the limit');
      assert.ok(truncated.every((r) => r.length === 12));
    } finally {
      c.socket.close();
      await limited.close();
    }
  });
});

function common(): { defaultTtl: number; serial: () => number; log: typeof log } {
  return { defaultTtl: 60, serial: () => 1, log };
}
