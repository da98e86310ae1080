/**
 * Fuzzing the real `rundock dns` process over the network: at least 100,000 random and mutated datagrams over UDP
 * (bit flips, truncations, random lengths, bad label lengths, compression pointers, huge counts, EDNS oddities,
 * header flags), and a few hundred messages over TCP with bad framing, then the server must still run with the same
 * processes and answer correctly. Sent in small windows, each closed by a valid query whose answer must come back,
 * so the server is never flooded and a hang is seen at once. Every reply must be a well-formed response.
 *
 * Deterministic: RUNDOCK_FUZZ_SEED=<n> replays a run (the seed is printed at the start and in every failure).
 * RUNDOCK_FUZZ_PACKETS (default 100000) and RUNDOCK_FUZZ_SECONDS (default 60, the time bound) size it.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import dnsPacket from 'dns-packet';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { addressesOf, decodeReply, frame, LOOPBACK, queryBytes, tcpExchange, tcpQuery, udpQuery } from './client.js';
import { startDnsProcess, type DnsProcess } from './dns-process.js';

const SEED =
  process.env.RUNDOCK_FUZZ_SEED !== undefined ? Number(process.env.RUNDOCK_FUZZ_SEED) >>> 0 : randomInt(0, 2 ** 32);
const PACKETS = Number(process.env.RUNDOCK_FUZZ_PACKETS ?? 100_000);
const SECONDS = Number(process.env.RUNDOCK_FUZZ_SECONDS ?? 60);
const TCP_MESSAGES = 400;
/** Datagrams sent back to back before the window's closing query. */
const WINDOW = 48;
/** The largest response this server may send over UDP (its EDNS size). */
const MAX_UDP_REPLY = 1232;
const DOMAIN = 's.fuzz.example.com';
const PREFIX = '/skydns/com/example/fuzz/s';
const REPLAY = `replay with RUNDOCK_FUZZ_SEED=${SEED}`;

/** mulberry32: a small, fast, seedable 32-bit PRNG. */
class Rng {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** 0 <= n < max */
  int(max: number): number {
    return max <= 0 ? 0 : this.next() % max;
  }
  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

// ------------------------------------------------------------------------------------------------ packet builders --

const NAMES = [
  'influxdb.s.fuzz.example.com',
  'node-back-1.influxdb.s.fuzz.example.com',
  'big.s.fuzz.example.com',
  '*.big.s.fuzz.example.com',
  'any.influxdb.s.fuzz.example.com',
  's.fuzz.example.com',
  'nosuch.s.fuzz.example.com',
  'cname.s.fuzz.example.com',
  'loop.s.fuzz.example.com',
  'txt.s.fuzz.example.com',
  'v6.s.fuzz.example.com',
  'mail.s.fuzz.example.com',
  'example.org',
  '',
  'InFluxDB.S.Fuzz.Example.COM',
  'a.b.c.d.e.f.g.s.fuzz.example.com',
  'ns.dns.s.fuzz.example.com',
];
/** Question types: the usual ones, meta types, and numbers nobody uses. */
const TYPES = [1, 28, 33, 16, 15, 5, 2, 6, 12, 13, 255, 252, 251, 257, 41, 0, 65535, 99, 250, 249, 64, 65];
const CLASSES = [1, 1, 1, 1, 3, 4, 254, 255, 0, 65535];

interface Opt {
  size: number;
  version: number;
  flags: number;
  rcode: number;
  options: Buffer;
  name: Buffer;
}

function labelsOf(name: string): Buffer {
  const parts = name === '' ? [] : name.split('.');
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([Buffer.byteLength(p)]), Buffer.from(p)])),
    Buffer.from([0]),
  ]);
}

function optRecord(o: Opt): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(41, 0);
  fixed.writeUInt16BE(o.size, 2);
  fixed.writeUInt8(o.rcode, 4);
  fixed.writeUInt8(o.version, 5);
  fixed.writeUInt16BE(o.flags, 6);
  fixed.writeUInt16BE(o.options.length, 8);
  return Buffer.concat([o.name, fixed, o.options]);
}

/** A well-formed query, with or without EDNS, for a name and type of the lists above. */
function validQuery(rng: Rng, id: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(rng.chance(0.8) ? 0x0100 : rng.int(0x10000) & 0x7fff, 2);
  header.writeUInt16BE(1, 4);
  let name = rng.pick(NAMES);
  if (rng.chance(0.2))
    name = `${rng.pick(['*', 'any', 'x', 'node-back-1', 'A-B', '_tcp', '_srv'])}${name === '' ? '' : '.'}${name}`;
  const question = Buffer.concat([labelsOf(name), Buffer.from([0, 0, 0, 0])]);
  question.writeUInt16BE(rng.pick(TYPES), question.length - 4);
  question.writeUInt16BE(rng.pick(CLASSES), question.length - 2);
  const parts: Buffer[] = [header, question];
  if (rng.chance(0.5)) {
    const options = rng.chance(0.7) ? Buffer.alloc(0) : ednsOptions(rng);
    parts.push(
      optRecord({
        size: rng.pick([0, 1, 512, 1232, 4096, 65535, rng.int(0x10000)]),
        version: rng.chance(0.85) ? 0 : rng.int(256),
        flags: rng.chance(0.7) ? 0 : rng.int(0x10000),
        rcode: rng.chance(0.9) ? 0 : rng.int(256),
        options,
        name: Buffer.from([0]),
      }),
    );
    header.writeUInt16BE(1, 10);
  }
  return Buffer.concat(parts);
}

/** EDNS options: a cookie, padding, client subnet, or random codes with right or wrong lengths. */
function ednsOptions(rng: Rng): Buffer {
  const out: Buffer[] = [];
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const code = rng.pick([10, 12, 8, 3, 11, rng.int(0x10000)]);
    const data = rng.bytes(rng.int(40));
    const head = Buffer.alloc(4);
    head.writeUInt16BE(code, 0);
    head.writeUInt16BE(rng.chance(0.8) ? data.length : rng.int(0x10000), 2);
    out.push(head, data);
  }
  return Buffer.concat(out);
}

/** Offsets of the length bytes of the question name's labels (walking plain labels from byte 12). */
function labelOffsets(packet: Buffer): number[] {
  const offsets: number[] = [12];
  if (packet.length <= 12) return offsets;
  offsets.length = 0;
  let at = 12;
  while (at < packet.length && offsets.length < 128) {
    const length = packet[at] ?? 0;
    offsets.push(at);
    if (length === 0 || length > 63) break;
    at += length + 1;
  }
  return offsets;
}

type Mutator = (rng: Rng, packet: Buffer) => Buffer;

const MUTATORS: readonly [string, Mutator][] = [
  [
    'bit flips',
    (rng, p) => {
      const out = Buffer.from(p);
      for (let n = 1 + rng.int(8); n > 0 && out.length > 0; n--) {
        const at = rng.int(out.length);
        out[at] = (out[at] ?? 0) ^ (1 << rng.int(8));
      }
      return out;
    },
  ],
  ['truncation', (rng, p) => p.subarray(0, rng.int(p.length))],
  ['random bytes', (rng) => rng.bytes(rng.int(rng.chance(0.9) ? 600 : 4096))],
  ['random body after a query header', (rng, p) => Buffer.concat([p.subarray(0, 12), rng.bytes(rng.int(300))])],
  [
    'overwritten bytes',
    (rng, p) => {
      const out = Buffer.from(p);
      for (let n = 1 + rng.int(4); n > 0 && out.length > 0; n--)
        out[rng.int(out.length)] = rng.pick([0, 0xff, 0x3f, 0x40, 0x80, 0xc0, 0x2e, rng.int(256)]);
      return out;
    },
  ],
  [
    'bad label length',
    (rng, p) => {
      const out = Buffer.from(p);
      const at = rng.pick(labelOffsets(out));
      out[at] = rng.pick([63, 64, 127, 128, 191, 255, 0x41, rng.int(256), Math.min(255, out.length - at + rng.int(4))]);
      return out;
    },
  ],
  [
    'label bytes that are not hostname characters',
    (rng, p) => {
      const out = Buffer.from(p);
      const offsets = labelOffsets(out).filter((o) => (out[o] ?? 0) > 0 && (out[o] ?? 0) <= 63);
      if (offsets.length === 0) return out;
      const at = rng.pick(offsets);
      out[at + 1 + rng.int(out[at] ?? 1)] = rng.pick([
        0x2e,
        0x5c,
        0x20,
        0x00,
        0xff,
        0x2a,
        0x22,
        0x3b,
        0x7f,
        0xc3,
        rng.int(256),
      ]);
      return out;
    },
  ],
  [
    'compression pointer',
    (rng, p) => {
      const offsets = labelOffsets(p);
      const at = rng.pick(offsets);
      const target = rng.pick([12, at, at + 1, at + 2, rng.int(p.length + 8), 0, 0x3fff, 2, 11]);
      const pointer = Buffer.from([0xc0 | ((target >> 8) & 0x3f), target & 0xff]);
      return Buffer.concat([p.subarray(0, at), pointer, rng.chance(0.5) ? p.subarray(at) : p.subarray(p.length - 4)]);
    },
  ],
  [
    'pointer loop',
    (rng, p) => {
      const head = Buffer.alloc(12);
      p.copy(head, 0, 0, 12);
      head.writeUInt16BE(rng.int(3) + 1, 4);
      // Two labels that point at each other, then type and class.
      return Buffer.concat([head, Buffer.from([1, 0x61, 0xc0, 12, 0xc0, 14, 0, 1, 0, 1])]);
    },
  ],
  [
    'huge counts',
    (rng, p) => {
      const out = Buffer.from(p);
      if (out.length < 12) return out;
      for (const at of [4, 6, 8, 10])
        if (rng.chance(0.5)) out.writeUInt16BE(rng.pick([0xffff, 0x8000, 2, 100, rng.int(0x10000)]), at);
      return out;
    },
  ],
  [
    'header flags',
    (rng, p) => {
      const out = Buffer.from(p);
      if (out.length >= 4) out.writeUInt16BE(rng.int(0x10000), 2);
      return out;
    },
  ],
  [
    'response bit set',
    (_rng, p) => {
      const out = Buffer.from(p);
      if (out.length >= 3) out[2] = (out[2] ?? 0) | 0x80;
      return out;
    },
  ],
  [
    'two OPT records or an OPT not at the root',
    (rng, p) => {
      const opt = optRecord({
        size: 4096,
        version: 0,
        flags: 0,
        rcode: 0,
        options: rng.chance(0.5) ? Buffer.alloc(0) : ednsOptions(rng),
        name: rng.chance(0.5) ? Buffer.from([0]) : Buffer.from([1, 0x61, 0]),
      });
      const out = Buffer.concat([p, opt, rng.chance(0.5) ? opt : Buffer.alloc(0)]);
      if (out.length >= 12) out.writeUInt16BE(Math.min(0xffff, out.readUInt16BE(10) + 1 + rng.int(2)), 10);
      return out;
    },
  ],
  [
    'several questions',
    (_rng, p) => {
      const end = labelOffsets(p).at(-1);
      if (end === undefined || p.length < end + 5) return p;
      const question = p.subarray(12, end + 5);
      const out = Buffer.concat([p.subarray(0, end + 5), question, question, p.subarray(end + 5)]);
      out.writeUInt16BE(3, 4);
      return out;
    },
  ],
  [
    'answer records in a query',
    (rng, p) => {
      const rr = Buffer.concat([
        Buffer.from([0xc0, 12, 0, rng.pick([1, 5, 6, 33, 41, 250]), 0, 1, 0, 0, 0, 30]),
        Buffer.from([0, 4]),
        rng.bytes(rng.chance(0.8) ? 4 : rng.int(20)),
      ]);
      const out = Buffer.concat([p, rr]);
      if (out.length >= 12) out.writeUInt16BE(rng.int(3), 6);
      if (out.length >= 12) out.writeUInt16BE(rng.int(3), 8);
      return out;
    },
  ],
  [
    'splice of two queries',
    (rng, p) => {
      const other = validQuery(rng, rng.int(0x10000));
      return Buffer.concat([p.subarray(0, rng.int(p.length)), other.subarray(rng.int(other.length))]);
    },
  ],
  [
    'long name',
    (rng, p) => {
      const labels: Buffer[] = [];
      for (let n = 2 + rng.int(10); n > 0; n--) {
        const length = rng.pick([63, 62, 1, rng.int(64)]);
        labels.push(Buffer.from([length]), Buffer.alloc(length, 0x61 + rng.int(26)));
      }
      return Buffer.concat([
        p.subarray(0, 12),
        ...labels,
        labelsOf(DOMAIN),
        Buffer.from([0, rng.pick([1, 33, 16]), 0, 1]),
      ]);
    },
  ],
];

/** The next fuzz datagram: a mutation (or two) of a valid query, now and then a valid query as is. */
function fuzzPacket(rng: Rng, id: number): { packet: Buffer; how: string } {
  const base = validQuery(rng, id);
  if (rng.chance(0.04)) return { packet: base, how: 'valid query' };
  const [name, mutate] = rng.pick(MUTATORS);
  let packet = mutate(rng, base);
  let how = name;
  if (rng.chance(0.15)) {
    const [second, mutateAgain] = rng.pick(MUTATORS);
    packet = mutateAgain(rng, packet);
    how += ` + ${second}`;
  }
  return { packet, how };
}

/** Checks a reply the server sent: a response, decodable, within the UDP limit; returns a problem or undefined. */
function problemWith(reply: Buffer, transport: 'udp' | 'tcp'): string | undefined {
  if (reply.length < 12) return `reply of ${reply.length} bytes`;
  if (((reply[2] ?? 0) & 0x80) === 0) return 'reply without the QR bit';
  if (transport === 'udp' && reply.length > MAX_UDP_REPLY)
    return `UDP reply of ${reply.length} bytes (more than ${MAX_UDP_REPLY})`;
  if ((reply.readUInt16BE(2) & 0xf) === 2) return 'SERVFAIL (an exception while answering: a bug)';
  try {
    dnsPacket.decode(reply);
  } catch (error) {
    return `reply does not decode: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

/** Bad replies grouped by what is wrong, with the first examples of each. */
class Problems {
  count = 0;
  private readonly kinds = new Map<string, { count: number; examples: string[] }>();
  add(kind: string, example: string): void {
    this.count++;
    const entry = this.kinds.get(kind) ?? { count: 0, examples: [] };
    entry.count++;
    if (entry.examples.length < 3) entry.examples.push(example);
    this.kinds.set(kind, entry);
  }
  summary(): string {
    return [...this.kinds]
      .map(([kind, { count, examples }]) => `- ${kind}: ${count} replies, e.g.\n  ${examples.join('\n  ')}`)
      .join('\n');
  }
}

describe(`fuzzing rundock dns (seed ${SEED})`, () => {
  let etcd: EtcdProcess;
  let dns: DnsProcess;
  let pidsBefore: number[];

  before(async () => {
    etcd = await startEtcd();
    const client = new Etcd3({ hosts: etcd.endpoint });
    try {
      const records: [string, string][] = [
        ['influxdb/node-back-1', '{"host":"10.0.0.5","port":8086,"text":"influx"}'],
        ['influxdb/node-back-2', '{"host":"10.0.0.6","port":8086,"priority":20,"weight":5,"ttl":7}'],
        ['cname/h1', '{"host":"influxdb.s.fuzz.example.com","port":80}'],
        ['loop/h1', '{"host":"loop.s.fuzz.example.com"}'],
        ['txt/h1', `{"host":"10.0.1.1","text":"${'t'.repeat(600)}"}`],
        ['v6/h1', '{"host":"2001:db8::1","port":443}'],
        ['mail/h1', '{"host":"10.0.2.1","mail":true,"priority":5}'],
        ['ext/h1', '{"host":"mail.example.org","port":25,"targetstrip":1}'],
        ['dns/ns/ns1', '{"host":"10.0.3.1"}'],
        ['dns/apex/a1', '{"host":"10.0.3.2"}'],
      ];
      for (let i = 0; i < 80; i++)
        records.push([`big/n${i}`, `{"host":"10.1.${i >> 8}.${i & 255}","port":${9000 + i}}`]);
      for (const [key, value] of records) await client.put(`${PREFIX}/${key}`).value(value);
    } finally {
      client.close();
    }
    dns = await startDnsProcess({ etcd: etcd.endpoint, domain: DOMAIN });
    pidsBefore = await dns.pids();
  });

  after(async () => {
    await dns?.stop('SIGKILL');
    await etcd?.kill();
  });

  it(`survives ${PACKETS} mutated datagrams over UDP and answers correctly after`, async (t) => {
    t.diagnostic(`seed ${SEED} (${REPLAY})`);
    const rng = new Rng(SEED);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
    const problems = new Problems();
    let window: { packet: Buffer; how: string }[] = [];
    let replies = 0;
    let sentinel: { id: number; resolve: (reply: Buffer) => void } | undefined;
    socket.on('message', (reply: Buffer) => {
      // The window's closing query: its id and a question no fuzz packet asks (a name with the window number).
      if (
        sentinel !== undefined &&
        reply.length >= 2 &&
        reply.readUInt16BE(0) === sentinel.id &&
        reply.includes('sentinel')
      ) {
        sentinel.resolve(reply);
        return;
      }
      replies++;
      const problem = problemWith(reply, 'udp');
      if (problem !== undefined) {
        const id = reply.length >= 2 ? reply.readUInt16BE(0) : -1;
        const sources = window
          .filter((w) => w.packet.length >= 2 && w.packet.readUInt16BE(0) === id)
          .map((w) => `${w.how}: ${w.packet.toString('hex')}`);
        problems.add(
          problem,
          `reply ${reply.toString('hex')}\n    to (one of): ${sources.join('\n      ') || '(no packet of this window has its id)'}`,
        );
      }
    });
    const started = Date.now();
    const deadline = started + SECONDS * 1000;
    let sent = 0;
    let windows = 0;
    try {
      while (sent < PACKETS && Date.now() < deadline) {
        window = [];
        for (let i = 0; i < WINDOW && sent < PACKETS; i++, sent++) {
          const fuzz = fuzzPacket(rng, rng.int(0x10000));
          window.push(fuzz);
          socket.send(fuzz.packet, dns.port, LOOPBACK);
        }
        windows++;
        const id = windows & 0xffff;
        const reply = await new Promise<Buffer | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), 3000);
          sentinel = { id, resolve: (r) => (clearTimeout(timer), resolve(r)) };
          socket.send(queryBytes(`sentinel-${windows}.s.fuzz.example.com`, 'A', { id }), dns.port, LOOPBACK);
        });
        sentinel = undefined;
        if (reply === undefined) {
          const last = window.map((w) => `${w.how}: ${w.packet.toString('hex')}`).join('\n  ');
          assert.fail(
            `no answer to a valid query within 3 s after ${sent} packets (${REPLAY}); alive: ${dns.alive()}; the last window:\n  ${last}\n${dns.logs().slice(-3000)}`,
          );
        }
        assert.equal(decodeReply(reply).rcode, 'NXDOMAIN', `the window's closing query (${REPLAY})`);
        if (!dns.alive())
          assert.fail(`rundock dns exited after ${sent} packets (${REPLAY}):\n${dns.logs().slice(-3000)}`);
      }
    } finally {
      socket.close();
    }
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(
      `${sent} datagrams in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s), ${replies} replies, ${windows} windows`,
    );
    if (problems.count > 0) assert.fail(`bad replies over UDP (${REPLAY}):\n${problems.summary()}`);
    assert.ok(sent >= PACKETS, `only ${sent} of ${PACKETS} datagrams within ${SECONDS} s (${REPLAY})`);
    await answersCorrectly();
  });

  it(`survives ${TCP_MESSAGES} mutated messages and bad framing over TCP`, async (t) => {
    const rng = new Rng(SEED ^ 0x5bd1e995);
    const problems = new Problems();
    let messages = 0;
    let connections = 0;
    let replies = 0;
    while (messages < TCP_MESSAGES) {
      const batch: Buffer[] = [];
      for (let i = 1 + rng.int(8); i > 0; i--, messages++)
        batch.push(frame(fuzzPacket(rng, rng.int(0x10000)).packet.subarray(0, 65535)));
      let bytes: Buffer = Buffer.concat(batch);
      const framing = rng.int(6);
      // 0: as is; 1: a length prefix longer than what follows; 2: zero-length frames; 3: cut mid-frame; 4: garbage.
      if (framing === 1) bytes = Buffer.concat([bytes, Buffer.from([0xff, 0xff]), rng.bytes(rng.int(100))]);
      if (framing === 2) bytes = Buffer.concat([Buffer.from([0, 0, 0, 0]), bytes]);
      if (framing === 3) bytes = bytes.subarray(0, rng.int(bytes.length));
      if (framing === 4) bytes = rng.bytes(rng.int(200));
      const result = await tcpExchange(dns.port, bytes, batch.length, 100);
      connections++;
      replies += result.replies.length;
      for (const reply of result.replies) {
        const problem = problemWith(reply, 'tcp');
        if (problem !== undefined)
          problems.add(
            problem,
            `reply ${reply.toString('hex')}\n    on connection ${connections} (framing ${framing}) after sending ${bytes.toString('hex').slice(0, 600)}`,
          );
      }
      assert.ok(dns.alive(), `rundock dns exited (${REPLAY})`);
    }
    t.diagnostic(`${messages} messages on ${connections} connections, ${replies} replies`);
    if (problems.count > 0) assert.fail(`bad replies over TCP (${REPLAY}):\n${problems.summary()}`);
    await answersCorrectly();
  });

  it('the server processes are the same ones (none died and was restarted) and nothing was logged as an error', async () => {
    assert.ok(dns.alive());
    assert.deepEqual(
      (await dns.pids()).sort(),
      [...pidsBefore].sort(),
      `the server's processes changed (a worker died?) (${REPLAY})`,
    );
    const errors = dns
      .logs()
      .split('\n')
      .filter((line) => /"level":(5|6)\d/.test(line));
    assert.deepEqual(errors.slice(0, 5), [], `error logs (${REPLAY})`);
  });

  /** A valid query over UDP and TCP still gets the right answer. */
  async function answersCorrectly(): Promise<void> {
    const udp = await udpQuery(dns.port, 'node-back-1.influxdb.s.fuzz.example.com', 'A', { waitMs: 2000 });
    assert.equal(udp.rcode, 'NOERROR');
    assert.deepEqual(addressesOf(udp), ['10.0.0.5']);
    const srv = await tcpQuery(dns.port, 'big.s.fuzz.example.com', 'SRV');
    assert.equal(srv.answers.length, 80, `all of big over TCP (${REPLAY})`);
    const nx = await udpQuery(dns.port, 'nosuch.s.fuzz.example.com', 'A');
    assert.equal(nx.rcode, 'NXDOMAIN');
  }
});
