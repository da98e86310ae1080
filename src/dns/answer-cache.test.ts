import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import pino from 'pino';
import { AnswerCache } from './answer-cache.js';
import { QueryHandler } from './handler.js';
import { ZoneIndex } from './zone-index.js';

const query = (id: number, name = 'web.s.prod.example.com'): Buffer => dnsPacket.encode({ type: 'query', id, questions: [{ name, type: 'A' }] });
const answerOf = (rotation: number): Buffer => Buffer.from([0, 0, 0x84, 0, rotation]);
const meta = { qtype: 'A', rcode: 0 };

describe('AnswerCache', () => {
  const q = query(1);
  const keyOf = (cache: AnswerCache, raw = q, transport: 'udp' | 'tcp' = 'udp', serial = 1, generation = 1): number => cache.keyOf(raw, transport, serial, generation) as number;

  it('keeps one variant per rotation until the cycle closes, then serves them in turn under the asker\'s id', () => {
    const cache = new AnswerCache();
    const key = keyOf(cache);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(cache.lookup(key, q, 'udp'), { bytes: undefined, rotation: i });
      cache.store(key, q, 'udp', answerOf(i), meta);
    }
    assert.equal(cache.lookup(key, q, 'udp').bytes, undefined, 'rotation 3 still computed');
    cache.store(key, q, 'udp', answerOf(0), meta); // equals the first: three variants
    const served = [0, 1, 2, 3].map((i) => cache.lookup(key, query(0x4200 + i), 'udp').bytes);
    assert.deepEqual(served.map((b) => b?.[4]), [1, 2, 0, 1], 'the closing answer was variant 0');
    assert.deepEqual(served.map((b) => b?.readUInt16BE(0)), [0x4200, 0x4201, 0x4202, 0x4203]);
  });

  it('never caches a name with more variants than it keeps: every instance must still come first in turn', () => {
    const cache = new AnswerCache();
    const key = keyOf(cache);
    for (let i = 0; i <= 16; i++) cache.store(key, q, 'udp', answerOf(i), meta);
    assert.deepEqual(cache.lookup(key, q, 'udp'), { bytes: undefined, rotation: undefined });
  });

  it('never answers one query with another\'s answer, even under the same hash or another transport', () => {
    const cache = new AnswerCache();
    const key = keyOf(cache);
    cache.store(key, q, 'udp', answerOf(0), meta);
    cache.store(key, q, 'udp', answerOf(0), meta);
    const other = query(1, 'db.s.prod.example.com');
    assert.deepEqual(cache.lookup(key, other, 'udp'), { bytes: undefined, rotation: undefined });
    assert.deepEqual(cache.lookup(key, q, 'tcp'), { bytes: undefined, rotation: undefined });
    cache.store(key, other, 'udp', answerOf(9), meta);
    assert.equal(cache.lookup(key, q, 'udp').bytes?.[4], 0);
    assert.notEqual(keyOf(cache, q, 'tcp'), key);
  });

  it('starts empty when the zones or the serial change, and bounds its entries', () => {
    const cache = new AnswerCache(2);
    cache.store(keyOf(cache), q, 'udp', answerOf(0), meta);
    keyOf(cache, q, 'udp', 1, 2);
    assert.equal(cache.size, 0);
    cache.store(keyOf(cache, q, 'udp', 1, 2), q, 'udp', answerOf(0), meta);
    keyOf(cache, q, 'udp', 2, 2);
    assert.equal(cache.size, 0);
    for (const name of ['a.s.prod.example.com', 'b.s.prod.example.com', 'c.s.prod.example.com']) {
      const raw = query(1, name);
      cache.store(keyOf(cache, raw, 'udp', 2, 2), raw, 'udp', answerOf(0), meta);
    }
    assert.equal(cache.size, 2);
  });

  it('through the handler: rotation goes on and a change answers at once', () => {
    const zone = new ZoneIndex('s.prod.example.com');
    for (const [h, a] of [['a', '10.0.0.1'], ['b', '10.0.0.2'], ['c', '10.0.0.3']]) zone.put(`/skydns/com/example/prod/s/web/${h}`, `{"host":"${a}"}`);
    const handler = new QueryHandler({ zones: [zone], defaultTtl: 60, serial: () => 1, log: pino({ level: 'silent' }) });
    const first = (): string => {
      const reply = dnsPacket.decode(handler.handle(query(7), 'udp') as Buffer);
      return reply.answers?.[0]?.type === 'A' ? reply.answers[0].data : '';
    };
    const firsts = Array.from({ length: 12 }, first);
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) assert.equal(firsts.filter((f) => f === address).length, 4, `${address} first in turn: ${firsts.join(' ')}`);
    zone.delete('/skydns/com/example/prod/s/web/a');
    zone.delete('/skydns/com/example/prod/s/web/b');
    assert.equal(first(), '10.0.0.3');
  });
});
