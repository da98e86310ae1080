import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import pino from 'pino';
import { AnswerCache } from './answer-cache.js';
import { QueryHandler } from './handler.js';
import { ZoneIndex } from './zone-index.js';

const query = (id: number, name = 'web.s.prod.example.com'): Buffer =>
  dnsPacket.encode({ type: 'query', id, questions: [{ name, type: 'A' }] });
const answerOf = (rotation: number): Buffer => Buffer.from([0, 0, 0x84, 0, rotation]);
const meta = { qtype: 'A', rcode: 0 };

describe('AnswerCache', () => {
  const q = query(1);
  const keyOf = (cache: AnswerCache, raw = q, transport: 'udp' | 'tcp' = 'udp', serial = 1, generation = 1): number =>
    cache.keyOf(raw, transport, serial, generation) as number;
  /** Looks `raw` up twice (the doorkeeper admits it the second time) and stores answerOf(rotation) as asked. */
  const fill = (cache: AnswerCache, key: number, raw: Buffer, times: number, next = 100): void => {
    cache.lookup(key, raw, 'udp', next);
    for (let i = 0; i < times; i++) {
      const miss = cache.lookup(key, raw, 'udp', next + i);
      if (miss.bytes === undefined && miss.store)
        cache.store(key, raw, 'udp', miss.rotation, answerOf(miss.rotation % 3), meta);
    }
  };

  it('admits a query the second time it comes, unless another took its doorkeeper slot in between', () => {
    const cache = new AnswerCache();
    const key = keyOf(cache);
    assert.deepEqual(cache.lookup(key, q, 'udp', 7), { bytes: undefined, rotation: 7, store: false });
    cache.lookup(key + (1 << 14), q, 'udp', 8); // same slot, another query
    assert.deepEqual(cache.lookup(key, q, 'udp', 9), { bytes: undefined, rotation: 9, store: false });
    assert.deepEqual(cache.lookup(key, q, 'udp', 10), { bytes: undefined, rotation: 10, store: true });
  });

  it("computes consecutive rotations until the cycle closes, then serves the variants in turn under the asker's id", () => {
    const cache = new AnswerCache();
    const key = keyOf(cache);
    fill(cache, key, q, 4, 100); // rotations 100..103 -> 1, 2, 0, 1: the fourth equals the first
    const served = [0, 1, 2, 3].map((i) => cache.lookup(key, query(0x4200 + i), 'udp', 0).bytes);
    assert.deepEqual(
      served.map((b) => b?.[4]),
      [2, 0, 1, 2],
      'the closing answer was the first variant',
    );
    assert.deepEqual(
      served.map((b) => b?.readUInt16BE(0)),
      [0x4200, 0x4201, 0x4202, 0x4203],
    );
  });

  it('serves in place from a shared buffer: the reply written at an offset under the id, nothing when it has no room', () => {
    const cache = new AnswerCache();
    const key = keyOf(cache);
    fill(cache, key, q, 4, 100); // variants 1, 2, 0, as above
    const input = Buffer.alloc(64);
    query(0x4321).copy(input, 20);
    const end = 20 + q.length;
    assert.equal(cache.keyAt(input, 20, end, 'udp', 1, 1), key, 'the same key as the query on its own');
    const output = Buffer.alloc(32, 0xee);
    assert.equal(cache.serveInto(key, input, 20, end, 'udp', output, 8, 4), undefined, 'no room: nothing served');
    assert.ok(
      output.every((b) => b === 0xee),
      'nothing written',
    );
    const served = cache.serveInto(key, input, 20, end, 'udp', output, 8, 5);
    assert.deepEqual(served && { qtype: served.qtype, rcode: served.rcode, length: served.length }, {
      ...meta,
      length: 5,
    });
    assert.deepEqual([...output.subarray(6, 15)], [0xee, 0xee, 0x43, 0x21, 0x84, 0, 2, 0xee, 0xee]);
    assert.equal(cache.serveInto(key, input, 20, end, 'udp', output, 8, 5)?.length, 5);
    assert.equal(output[12], 0, 'then the next variant, in turn');
    assert.equal(cache.serveInto(key, input, 20, end, 'tcp', output, 8, 5), undefined, 'not for another transport');
    input[end - 1] = (input[end - 1] ?? 0) ^ 1; // the same hash slot, another question
    assert.equal(cache.serveInto(key, input, 20, end, 'udp', output, 8, 5), undefined, 'nor for another question');
  });

  it('never caches a name with more variants than it keeps: every instance must still come first in turn', () => {
    const cache = new AnswerCache();
    const key = keyOf(cache);
    cache.lookup(key, q, 'udp', 0);
    for (let i = 0; i <= 16; i++) cache.store(key, q, 'udp', i, answerOf(i), meta);
    assert.deepEqual(cache.lookup(key, q, 'udp', 5), { bytes: undefined, rotation: 5, store: false });
  });

  it("never answers one query with another's answer, even under the same hash or another transport", () => {
    const cache = new AnswerCache();
    const key = keyOf(cache);
    fill(cache, key, q, 4);
    const other = query(1, 'db.s.prod.example.com');
    assert.deepEqual(cache.lookup(key, other, 'udp', 5), { bytes: undefined, rotation: 5, store: false });
    assert.deepEqual(cache.lookup(key, q, 'tcp', 5), { bytes: undefined, rotation: 5, store: false });
    assert.ok(cache.lookup(key, q, 'udp', 5).bytes);
    assert.notEqual(keyOf(cache, q, 'tcp'), key);
  });

  it('starts empty when the zones or the serial change, and bounds its entries', () => {
    const cache = new AnswerCache(2);
    fill(cache, keyOf(cache), q, 1);
    assert.equal(cache.size, 1);
    keyOf(cache, q, 'udp', 1, 2);
    assert.equal(cache.size, 0);
    fill(cache, keyOf(cache, q, 'udp', 1, 2), q, 1);
    keyOf(cache, q, 'udp', 2, 2);
    assert.equal(cache.size, 0);
    for (const name of ['a.s.prod.example.com', 'b.s.prod.example.com', 'c.s.prod.example.com']) {
      const raw = query(1, name);
      fill(cache, keyOf(cache, raw, 'udp', 2, 2), raw, 1);
    }
    assert.equal(cache.size, 2);
  });

  it('through the handler: rotation goes on and a change answers at once', () => {
    const zone = new ZoneIndex('s.prod.example.com');
    for (const [h, a] of [
      ['a', '10.0.0.1'],
      ['b', '10.0.0.2'],
      ['c', '10.0.0.3'],
    ])
      zone.put(`/skydns/com/example/prod/s/web/${h}`, `{"host":"${a}"}`);
    const handler = new QueryHandler({
      zones: [zone],
      defaultTtl: 60,
      serial: () => 1,
      log: pino({ level: 'silent' }),
    });
    const first = (): string => {
      const reply = dnsPacket.decode(handler.handle(query(7), 'udp') as Buffer);
      return reply.answers?.[0]?.type === 'A' ? reply.answers[0].data : '';
    };
    const firsts = Array.from({ length: 12 }, first);
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3'])
      assert.equal(firsts.filter((f) => f === address).length, 4, `${address} first in turn: ${firsts.join(' ')}`);
    zone.delete('/skydns/com/example/prod/s/web/a');
    zone.delete('/skydns/com/example/prod/s/web/b');
    assert.equal(first(), '10.0.0.3');
  });
});
