import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import dnsPacket, { type Packet } from 'dns-packet';
import pino from 'pino';
import { DnsMetrics } from '../metrics.js';
import { startDnsServer, type DnsServer } from './server.js';
import { ZoneIndex } from '../answer/zone-index.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const log = pino({ level: 'silent' });
const key = (service: string, host: string): string => `/skydns/com/example/prod/s/${service}/${host}`;

function query(name: string, type: string, id = 1234, edns = false): Buffer {
  const additionals = edns
    ? [
        {
          name: '.',
          type: 'OPT' as const,
          udpPayloadSize: 1232,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ]
    : [];
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as 'A' }],
    additionals,
  });
}

/** One datagram to the server; resolves with the reply, or undefined after `waitMs` of silence. */
function udp(port: number, message: Buffer, waitMs = 1000): Promise<Buffer | undefined> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), waitMs);
    const done = (reply: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    socket.on('message', (reply) => done(reply));
    socket.send(message, port, HOST);
  });
}

/** Sends `messages` on one TCP connection (optionally a byte at a time) and collects `messages.length` replies. */
function tcp(port: number, messages: Buffer[], byteByByte = false): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, HOST);
    let buffered = Buffer.alloc(0);
    const replies: Buffer[] = [];
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        replies.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
      }
      if (replies.length === messages.length) {
        socket.end();
        resolve(replies);
      }
    });
    const framed = Buffer.concat(messages.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 255]), m])));
    if (!byteByByte) socket.write(framed);
    else for (const byte of framed) socket.write(Buffer.from([byte]));
  });
}

/** dig (bind9-dnsutils) is a prerequisite of this test, as a real client next to dns-packet. */
async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('/usr/bin/dig', [`@${HOST}`, '-p', String(port), '+time=2', '+tries=1', ...args]);
  return stdout;
}

const decode = (reply: Buffer | undefined): Packet & { rcode?: string; flag_tc?: boolean } => {
  assert.ok(reply !== undefined, 'a reply');
  return dnsPacket.decode(reply);
};
const addresses = (p: Packet): string[] => (p.answers ?? []).map((r) => (r.type === 'A' ? r.data : r.type));

describe('DNS server', () => {
  const index = new ZoneIndex('s.prod.example.com');
  const upstreamZone = new ZoneIndex('example.org');
  const metrics = new DnsMetrics();
  let server: DnsServer;
  let upstream: DnsServer;
  let port = 0;

  before(async () => {
    index.put(key('influxdb', 'node-back-1'), '{"host":"10.0.0.5","port":8086,"ttl":30}');
    index.put(key('influxdb', 'node-back-2'), '{"host":"10.0.0.6","port":8086,"ttl":30}');
    for (let i = 0; i < 200; i++) index.put(key('big', `h${i}`), JSON.stringify({ host: `10.1.0.${i}`, port: 80 }));
    upstreamZone.put('/skydns/org/example/www/a', '{"host":"192.0.2.80"}');
    upstream = await startDnsServer({
      listen: { host: HOST, port: 0 },
      zones: upstreamZone,
      defaultTtl: 60,
      serial: () => 1,
      log,
    });
    server = await startDnsServer({
      listen: { host: HOST, port: 0 },
      zones: new Map([['s.prod.example.com', index]]),
      defaultTtl: 60,
      serial: () => 7,
      log,
      metrics,
      forward: `${HOST}:${upstream.udpAddress.port}`,
      forwardTimeoutMs: 500,
      tcpIdleTimeoutMs: 300,
    });
    port = server.udpAddress.port;
    assert.equal(server.tcpAddress.port, port, 'UDP and TCP share the port');
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  it('answers over UDP and TCP, several queries per TCP connection, even sent a byte at a time', async () => {
    const viaUdp = decode(await udp(port, query('influxdb.s.prod.example.com', 'A')));
    assert.deepEqual(addresses(viaUdp).sort(), ['10.0.0.5', '10.0.0.6']);
    assert.equal(viaUdp.id, 1234);
    const replies = await tcp(
      port,
      [query('node-back-1.influxdb.s.prod.example.com', 'A', 1), query('nope.s.prod.example.com', 'A', 2)],
      true,
    );
    assert.deepEqual(
      replies.map((r) => decode(r).id),
      [1, 2],
    );
    assert.deepEqual(addresses(decode(replies[0])), ['10.0.0.5']);
    assert.equal(decode(replies[1]).rcode, 'NXDOMAIN');
  });

  it('answers dig, over UDP and TCP', async () => {
    assert.deepEqual((await dig(port, 'influxdb.s.prod.example.com', 'A', '+short')).trim().split('\n').sort(), [
      '10.0.0.5',
      '10.0.0.6',
    ]);
    assert.deepEqual(
      (await dig(port, 'node-back-2.influxdb.s.prod.example.com', 'A', '+short', '+tcp')).trim(),
      '10.0.0.6',
    );
    const srv = await dig(port, 'influxdb.s.prod.example.com', 'SRV');
    assert.match(srv, /status: NOERROR/);
    assert.match(srv, /flags: qr aa rd;/);
    assert.match(srv, /SRV\s+10 50 8086 node-back-1\.influxdb\.s\.prod\.example\.com\./);
    assert.match(srv, /node-back-1\.influxdb\.s\.prod\.example\.com\.\s+30\s+IN\s+A\s+10\.0\.0\.5/);
    assert.match(
      await dig(port, 'nope.s.prod.example.com', 'A'),
      /status: NXDOMAIN[\s\S]*IN\s+SOA\s+ns\.dns\.s\.prod\.example\.com\. hostmaster\.s\.prod\.example\.com\. 7 7200 1800 86400 30/,
    );
  });

  it('truncates a long answer over UDP (TC=1) and gives it whole over TCP', async () => {
    const plain = await udp(port, query('big.s.prod.example.com', 'A'));
    assert.ok(plain !== undefined && plain.length <= 512);
    assert.equal(decode(plain).flag_tc, true);
    const withEdns = await udp(port, query('big.s.prod.example.com', 'A', 9, true));
    assert.ok(withEdns !== undefined && withEdns.length <= 1232 && withEdns.length > 512);
    assert.equal(decode(withEdns).flag_tc, true);
    assert.match(await dig(port, 'big.s.prod.example.com', 'A', '+ignore', '+noedns'), /flags: qr aa tc rd;/);
    assert.equal((await dig(port, 'big.s.prod.example.com', 'A', '+tcp', '+short')).trim().split('\n').length, 200);
    assert.equal(decode((await tcp(port, [query('big.s.prod.example.com', 'A')]))[0]).answers?.length, 200);
  });

  it('replies FORMERR to a readable header with a broken body, and drops garbage and responses', async () => {
    const broken = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05, 0x61]);
    const reply = decode(await udp(port, broken));
    assert.deepEqual([reply.id, reply.rcode, reply.type], [0xabcd, 'FORMERR', 'response']);
    assert.equal(await udp(port, Buffer.from([1, 2, 3]), 300), undefined);
    const response = query('influxdb.s.prod.example.com', 'A');
    response[2] = (response[2] ?? 0) | 0x80;
    assert.equal(await udp(port, response, 300), undefined);
    assert.match(await dig(port, 'influxdb.s.prod.example.com', 'A'), /status: NOERROR/, 'still serving');
  });

  it('answers NOTIMP to opcodes other than QUERY', async () => {
    const notify = query('s.prod.example.com', 'SOA');
    notify.writeUInt16BE((4 << 11) | 0x0100, 2);
    assert.equal(decode(await udp(port, notify)).rcode, 'NOTIMP');
  });

  it('forwards names outside the zone to the upstream and relays its answer under the client id', async () => {
    const reply = decode(await udp(port, query('www.example.org', 'A', 777)));
    assert.equal(reply.id, 777);
    assert.deepEqual(addresses(reply), ['192.0.2.80']);
    assert.match(await dig(port, 'www.example.org', 'A', '+tcp'), /www\.example\.org\.\s+60\s+IN\s+A\s+192\.0\.2\.80/);
    assert.equal(decode(await udp(port, query('nope.example.org', 'A'))).rcode, 'NXDOMAIN');
  });

  it('is not an open resolver without a forwarder, and answers SERVFAIL when the upstream is silent', async () => {
    assert.match(await dig(upstream.udpAddress.port, 'influxdb.s.prod.example.com', 'A'), /status: REFUSED/);
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, HOST, resolve));
    const lonely = await startDnsServer({
      listen: { host: HOST, port: 0 },
      zones: index,
      defaultTtl: 60,
      serial: () => 1,
      log,
      forward: `${HOST}:${silent.address().port}`,
      forwardTimeoutMs: 100,
    });
    try {
      assert.equal(decode(await udp(lonely.udpAddress.port, query('www.example.org', 'A'))).rcode, 'SERVFAIL');
    } finally {
      await lonely.close();
      silent.close();
    }
  });

  it('answers a record put into the index at the next query', async () => {
    assert.equal(decode(await udp(port, query('grafana.s.prod.example.com', 'A'))).rcode, 'NXDOMAIN');
    index.put(key('grafana', 'node-back-1'), '{"host":"10.0.0.5","port":8087}');
    assert.deepEqual(addresses(decode(await udp(port, query('grafana.s.prod.example.com', 'A')))), ['10.0.0.5']);
    index.delete(key('grafana', 'node-back-1'));
    assert.equal(decode(await udp(port, query('grafana.s.prod.example.com', 'A'))).rcode, 'NXDOMAIN');
  });

  it('closes idle TCP connections', async () => {
    const socket = connect(port, HOST);
    const closed = await new Promise<boolean>((resolve) => {
      socket.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 2000);
    });
    assert.equal(closed, true);
  });

  it('counts queries, records and forwards', async () => {
    const text = await metrics.registry.metrics();
    assert.match(text, /rundock_dns_queries_total\{qtype="A",rcode="NOERROR"\} \d+/);
    assert.match(text, /rundock_dns_queries_total\{qtype="other",rcode="FORMERR"\} 1/);
    assert.match(text, /rundock_dns_records 202/);
    assert.match(text, /rundock_dns_forwarded_total\{outcome="answered"\} \d+/);
    assert.match(text, /rundock_dns_dropped_total\{reason="response"\} 1/);
    assert.match(text, /rundock_dns_query_duration_seconds_bucket\{le="0.0005"\} \d+/);
  });
});
