import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import pino from 'pino';
import { QueryHandler } from './handler.js';
import { ZoneIndex, type ZoneMatch } from './zone-index.js';

const log = pino({ level: 'silent' });

function handler(zone = new ZoneIndex('s.prod.example.com')): QueryHandler {
  zone.put('/skydns/com/example/prod/s/web/a', '{"host":"10.0.0.1"}');
  return new QueryHandler({ zones: [zone], defaultTtl: 60, serial: () => 1, log });
}

function query(name: string, type = 'A', edns = false): Buffer {
  const additionals = edns
    ? [
        {
          name: '.',
          type: 'OPT' as const,
          udpPayloadSize: 4096,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ]
    : [];
  return dnsPacket.encode({ type: 'query', id: 99, questions: [{ name, type: type as 'A' }], additionals });
}

function reply(result: ReturnType<QueryHandler['handle']>): Buffer {
  assert.ok(Buffer.isBuffer(result), 'a synchronous reply');
  return result;
}

describe('QueryHandler', () => {
  it('answers from the zone, with the round-robin offset moving between queries', () => {
    const h = handler();
    void h.handle(query('web.s.prod.example.com'), 'udp');
    const decoded = dnsPacket.decode(reply(h.handle(query('web.s.prod.example.com'), 'udp')));
    assert.deepEqual(
      decoded.answers?.map((r) => r.type === 'A' && r.data),
      ['10.0.0.1'],
    );
    assert.equal(decoded.id, 99);
  });

  it('never answers a name with a dot inside a label as the name with one more label', () => {
    const raw = Buffer.from(query('web.s.prod.example.com'));
    raw[12] = 5; // labels "web.s", "prod", "example", "com"
    raw[16] = 0x2e;
    const decoded = dnsPacket.decode(reply(handler().handle(raw, 'udp')));
    assert.deepEqual(
      [decoded.id, (decoded.flags ?? 0) & 0xf, decoded.questions?.length, decoded.answers?.length],
      [99, 5, 0, 0],
    );
  });

  it('refuses a name it cannot echo byte for byte, without a question section', () => {
    const raw = Buffer.from(query('xx.s.prod.example.com'));
    raw[13] = 0xff;
    const decoded = dnsPacket.decode(reply(handler().handle(raw, 'udp')));
    assert.deepEqual([decoded.id, (decoded.flags ?? 0) & 0xf, decoded.questions?.length], [99, 5, 0]);
  });

  it('limits UDP answers to 512 bytes without EDNS and to 1232 with a larger EDNS size; TCP to 64 KiB', () => {
    const zone = new ZoneIndex('s.prod.example.com');
    for (let i = 0; i < 300; i++)
      zone.put(`/skydns/com/example/prod/s/big/host-${i}`, `{"host":"10.0.${i >> 8}.${i & 255}"}`);
    const h = handler(zone);
    assert.ok(reply(h.handle(query('big.s.prod.example.com'), 'udp')).length <= 512);
    const edns = reply(h.handle(query('big.s.prod.example.com', 'A', true), 'udp'));
    assert.ok(edns.length > 512 && edns.length <= 1232);
    assert.equal(dnsPacket.decode(reply(h.handle(query('big.s.prod.example.com'), 'tcp'))).answers?.length, 300);
  });

  it('answers SERVFAIL instead of throwing when answering fails', () => {
    class Broken extends ZoneIndex {
      override find(): ZoneMatch | undefined {
        throw new Error('bug');
      }
    }
    const decoded = dnsPacket.decode(
      reply(handler(new Broken('s.prod.example.com')).handle(query('web.s.prod.example.com'), 'udp')),
    );
    assert.deepEqual([decoded.id, (decoded.flags ?? 0) & 0xf], [99, 2]);
  });

  it('drops what cannot be answered: short garbage and responses', () => {
    const h = handler();
    assert.equal(h.handle(Buffer.alloc(0), 'udp'), undefined);
    assert.equal(h.handle(Buffer.from('hello'), 'tcp'), undefined);
    const response = query('web.s.prod.example.com');
    response[2] = (response[2] ?? 0) | 0x80;
    assert.equal(h.handle(response, 'udp'), undefined);
  });
});
