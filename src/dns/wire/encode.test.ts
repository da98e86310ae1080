import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket, { type Answer, type OptAnswer, type Packet } from 'dns-packet';
import { encodeResponse } from './encode.js';
import { encodeWithin } from './truncate.js';

const owner = 'InfluxDB.s.prod.example.com';
const opt: OptAnswer = {
  name: '.',
  type: 'OPT',
  udpPayloadSize: 1232,
  extendedRcode: 1,
  ednsVersion: 0,
  flags: 0x8000,
  flag_do: true,
  options: [],
};

function packet(answers: Answer[], extra: Partial<Packet> = {}): Packet {
  return {
    type: 'response',
    id: 7,
    flags: 0x0500,
    questions: [{ name: owner, type: 'SRV', class: 'IN' }],
    answers,
    authorities: [],
    additionals: [],
    ...extra,
  };
}

/** What dns-packet reads back: the reference the fast encoder must agree with. */
function roundTrip(p: Packet, encoded: Buffer | undefined): void {
  assert.ok(encoded !== undefined, 'encodable');
  assert.deepEqual(dnsPacket.decode(encoded), dnsPacket.decode(dnsPacket.encode(p)));
}

const every: Answer[] = [
  { name: owner, type: 'A', ttl: 30, data: '10.0.0.5' },
  { name: owner, type: 'AAAA', ttl: 30, data: '2001:db8::1' },
  { name: owner, type: 'AAAA', ttl: 30, data: '::' },
  { name: owner, type: 'AAAA', ttl: 30, data: '::ffff:10.1.2.3' },
  { name: owner, type: 'AAAA', ttl: 30, data: '1:2:3:4:5:6:7:8' },
  { name: owner, type: 'AAAA', ttl: 30, data: 'fe80::' },
  { name: owner, type: 'CNAME', ttl: 1, data: 'www.example.org' },
  {
    name: owner,
    type: 'SRV',
    ttl: 60,
    data: { priority: 10, weight: 50, port: 8086, target: 'node-back-1.influxdb.s.prod.example.com' },
  },
  { name: owner, type: 'MX', ttl: 60, data: { preference: 5, exchange: 'a.mail.s.prod.example.com' } },
  { name: owner, type: 'TXT', ttl: 60, data: [Buffer.from('x'.repeat(255)), Buffer.from('hello')] },
  { name: owner, type: 'TXT', ttl: 60, data: 'plain' },
  { name: owner, type: 'HINFO', ttl: 8482, data: { cpu: 'RFC8482', os: '' } },
  { name: owner, type: 'NS', ttl: 60, data: 'ns.dns.s.prod.example.com' },
  {
    name: 's.prod.example.com',
    type: 'SOA',
    ttl: 30,
    data: {
      mname: 'ns.dns.s.prod.example.com',
      rname: 'hostmaster.s.prod.example.com',
      serial: 4294967295,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: 30,
    },
  },
];

describe('encodeResponse', () => {
  it('writes every record type the answerer builds as dns-packet reads them, with compression', () => {
    const p = packet(every, {
      authorities: [every[13] as Answer],
      additionals: [{ name: 'node-back-1.influxdb.s.prod.example.com', type: 'A', ttl: 30, data: '10.0.0.5' }, opt],
    });
    const encoded = encodeResponse(p, 65535);
    roundTrip(p, encoded);
    assert.ok((encoded?.length ?? 0) < dnsPacket.encode(p).length * 0.8, 'compressed');
  });

  it('writes queries, empty sections and unknown types in the question', () => {
    roundTrip(
      packet([], { questions: [{ name: owner, type: 'UNKNOWN_65' as 'A', class: 'IN' }] }),
      encodeResponse(packet([], { questions: [{ name: owner, type: 'UNKNOWN_65' as 'A', class: 'IN' }] }), 512),
    );
    const query: Packet = { type: 'query', id: 1, flags: 0x100, questions: [{ name: '.', type: 'NS', class: 'IN' }] };
    roundTrip(query, encodeResponse(query, 512));
  });

  it('truncates at the first answer that does not fit, sets TC, keeps the OPT record', () => {
    const answers: Answer[] = Array.from({ length: 200 }, (_, i) => ({
      name: owner,
      type: 'A',
      ttl: 30,
      data: `10.0.${i >> 8}.${i & 255}`,
    }));
    const p = packet(answers, { additionals: [opt], authorities: [every[13] as Answer] });
    const encoded = encodeResponse(p, 512);
    assert.ok(encoded !== undefined && encoded.length <= 512);
    const decoded = dnsPacket.decode(encoded);
    assert.equal(decoded.flag_tc, true);
    assert.deepEqual(
      decoded.answers?.map((r) => (r.type === 'A' ? r.data : '')),
      answers.slice(0, decoded.answers?.length).map((r) => (r.type === 'A' ? r.data : '')),
    );
    assert.ok((decoded.answers?.length ?? 0) > 25, 'compression fits more than dns-packet would');
    assert.deepEqual(decoded.authorities, []);
    assert.equal(decoded.additionals?.[0]?.type, 'OPT');
  });

  it('leaves out additional records that do not fit, without TC', () => {
    const answers: Answer[] = Array.from({ length: 20 }, (_, i) => ({
      name: owner,
      type: 'A',
      ttl: 30,
      data: `10.0.0.${i}`,
    }));
    const additionals: Answer[] = Array.from({ length: 20 }, (_, i) => ({
      name: `host-${i}.influxdb.s.prod.example.com`,
      type: 'A',
      ttl: 30,
      data: `10.0.0.${i}`,
    }));
    const decoded = dnsPacket.decode(encodeResponse(packet(answers, { additionals }), 512) ?? Buffer.alloc(0));
    assert.equal(decoded.flag_tc, false);
    assert.equal(decoded.answers?.length, 20);
    assert.ok((decoded.additionals?.length ?? 0) < 20);
  });

  it('declines what it does not write, so the caller falls back to dns-packet', () => {
    assert.equal(
      encodeResponse(packet([{ name: owner, type: 'CAA', data: { tag: 'issue', value: 'x' } }]), 512),
      undefined,
    );
    assert.equal(
      encodeResponse(packet([], { additionals: [{ ...opt, options: [{ code: 12, length: 4 }] }] }), 512),
      undefined,
    );
    assert.equal(
      encodeResponse(packet([{ name: `${'x'.repeat(64)}.example.com`, type: 'A', data: '10.0.0.1' }]), 512),
      undefined,
    );
  });
});

describe('encodeWithin (the dns-packet fallback)', () => {
  it('drops additional records first, then answers, and sets TC only when answers are cut', () => {
    const answers: Answer[] = Array.from({ length: 60 }, (_, i) => ({
      name: owner,
      type: 'A',
      ttl: 30,
      data: `10.0.0.${i}`,
    }));
    const extra: Answer[] = [{ name: 'x.s.prod.example.com', type: 'A', ttl: 30, data: '10.0.0.1' }];
    const fitsWithoutExtra = dnsPacket.decode(
      encodeWithin(packet(answers.slice(0, 10), { additionals: [...extra, opt] }), 512),
    );
    assert.deepEqual(
      [fitsWithoutExtra.flag_tc, fitsWithoutExtra.answers?.length, fitsWithoutExtra.additionals?.length],
      [false, 10, 1],
    );
    const cut = encodeWithin(packet(answers, { additionals: [...extra, opt] }), 512);
    const decoded = dnsPacket.decode(cut);
    assert.ok(cut.length <= 512);
    assert.equal(decoded.flag_tc, true);
    assert.ok((decoded.answers?.length ?? 0) > 0 && (decoded.answers?.length ?? 0) < 60);
    assert.deepEqual(
      decoded.additionals?.map((r) => r.type),
      ['OPT'],
    );
  });
});
