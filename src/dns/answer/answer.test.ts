import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Answer, OptAnswer, Packet } from 'dns-packet';
import { answer } from './answer.js';
import type { ZoneIndex } from './zone-index.js';
import { AA, D, query, RD, response, settings, SOA, zone } from './answer-fixture.js';

const reference = (): ZoneIndex =>
  zone({
    'influxdb/node-back-1': { host: '10.0.0.5', port: 8086, ttl: 30 },
    'influxdb/node-back-2': { host: '10.0.0.6', port: 8086 },
  });

const a = (name: string, data: string, ttl: number): Answer => ({ name, type: 'A', ttl, data });
const opt = (udpPayloadSize: number, flags = 0, ednsVersion = 0): OptAnswer => ({
  name: '.',
  type: 'OPT',
  udpPayloadSize,
  extendedRcode: 0,
  ednsVersion,
  flags,
  flag_do: (flags & 0x8000) !== 0,
  options: [],
});

describe('answer: addresses', () => {
  it('answers a service name with every instance, per-record TTLs, authoritative, question case echoed', () => {
    const q = query('InfluxDB.S.prod.example.com', 'A');
    const owner = 'InfluxDB.S.prod.example.com';
    assert.deepEqual(
      answer(reference(), q, settings),
      response(q, 0, { answers: [a(owner, '10.0.0.5', 30), a(owner, '10.0.0.6', 60)] }),
    );
  });

  it('answers an instance name with its record alone', () => {
    const q = query('node-back-2.influxdb.s.prod.example.com', 'A');
    assert.deepEqual(
      answer(reference(), q, settings),
      response(q, 0, { answers: [a('node-back-2.influxdb.s.prod.example.com', '10.0.0.6', 60)] }),
    );
  });

  it('rotates the order by the offset it is given', () => {
    const q = query('influxdb.s.prod.example.com', 'A');
    const order = (rotation: number) =>
      answer(reference(), q, { ...settings, rotation }).answers?.map((r) => (r.type === 'A' ? r.data : ''));
    assert.deepEqual(order(0), ['10.0.0.5', '10.0.0.6']);
    assert.deepEqual(order(1), ['10.0.0.6', '10.0.0.5']);
    assert.deepEqual(order(2), ['10.0.0.5', '10.0.0.6']);
  });

  it('answers AAAA from IPv6 records and NODATA for the missing family', () => {
    const index = zone({ 'web/a': { host: '2001:db8::1', ttl: 10 }, 'web/b': { host: '10.0.0.1' } });
    const q6 = query('web.s.prod.example.com', 'AAAA');
    assert.deepEqual(
      answer(index, q6, settings),
      response(q6, 0, { answers: [{ name: 'web.s.prod.example.com', type: 'AAAA', ttl: 10, data: '2001:db8::1' }] }),
    );
    const q4 = query('a.web.s.prod.example.com', 'A');
    assert.deepEqual(answer(index, q4, settings), response(q4, 0, { authorities: [SOA] }));
  });

  it('deduplicates equal addresses, as CoreDNS does', () => {
    const index = zone({ 'web/a': { host: '10.0.0.1' }, 'web/b': { host: '10.0.0.1' } });
    assert.equal(answer(index, query('web.s.prod.example.com', 'A'), settings).answers?.length, 1);
  });

  it('answers a host-name record with a CNAME, followed inside the zone', () => {
    const index = zone({
      'influxdb/node-back-1': { host: '10.0.0.5' },
      'db/alias': { host: 'influxdb.s.prod.example.com', ttl: 5 },
    });
    const q = query('alias.db.s.prod.example.com', 'A');
    const cname: Answer = {
      name: 'alias.db.s.prod.example.com',
      type: 'CNAME',
      ttl: 5,
      data: 'influxdb.s.prod.example.com',
    };
    assert.deepEqual(
      answer(index, q, settings),
      response(q, 0, { answers: [cname, a('influxdb.s.prod.example.com', '10.0.0.5', 60)] }),
    );
  });

  it('answers a CNAME alone when its target is outside the zone, and skips loops and dead ends', () => {
    const index = zone({
      'ext/a': { host: 'www.example.org' },
      'loop/a': { host: 'a.loop.s.prod.example.com' },
      'dead/a': { host: 'nope.s.prod.example.com' },
    });
    const q = query('a.ext.s.prod.example.com', 'A');
    const cname: Answer = { name: 'a.ext.s.prod.example.com', type: 'CNAME', ttl: 60, data: 'www.example.org' };
    assert.deepEqual(answer(index, q, settings), response(q, 0, { answers: [cname] }));
    for (const name of ['a.loop.s.prod.example.com', 'a.dead.s.prod.example.com']) {
      const nodata = query(name, 'A');
      assert.deepEqual(answer(index, nodata, settings), response(nodata, 0, { authorities: [SOA] }));
    }
  });

  it('answers a CNAME query only for the record exactly at the name', () => {
    const index = zone({ 'db/alias': { host: 'www.example.org' } });
    const q = query('alias.db.s.prod.example.com', 'CNAME');
    assert.deepEqual(answer(index, q, settings).answers, [
      { name: 'alias.db.s.prod.example.com', type: 'CNAME', ttl: 60, data: 'www.example.org' },
    ]);
    assert.deepEqual(answer(index, query('db.s.prod.example.com', 'CNAME'), settings).answers, []);
  });

  it('matches wildcard labels', () => {
    const q = query('*.influxdb.s.prod.example.com', 'A');
    assert.deepEqual(answer(reference(), q, settings).answers?.length, 2);
  });
});

describe('answer: SRV, MX (TXT: answer-txt.test.ts)', () => {
  it('answers SRV with CoreDNS defaults: priority 10, weights normalised, targets from keys, addresses in additional', () => {
    const q = query('influxdb.s.prod.example.com', 'SRV');
    const target1 = 'node-back-1.influxdb.s.prod.example.com';
    const target2 = 'node-back-2.influxdb.s.prod.example.com';
    const srv = (target: string, ttl: number): Answer => ({
      name: 'influxdb.s.prod.example.com',
      type: 'SRV',
      ttl,
      data: { priority: 10, weight: 50, port: 8086, target },
    });
    assert.deepEqual(
      answer(reference(), q, settings),
      response(q, 0, {
        answers: [srv(target1, 30), srv(target2, 60)],
        additionals: [a(target1, '10.0.0.5', 30), a(target2, '10.0.0.6', 60)],
      }),
    );
  });

  it('uses priority and weight from the record, per priority group, at least 1', () => {
    const index = zone({
      'web/a': { host: '10.0.0.1', port: 80, priority: 1, weight: 3 },
      'web/b': { host: '10.0.0.2', port: 80, priority: 1, weight: 1 },
      'web/c': { host: '10.0.0.3', port: 81, priority: 2 },
      'web/d': { host: '10.0.0.4', port: 81, priority: 2, weight: 65535 },
    });
    const data = answer(index, query('web.s.prod.example.com', 'SRV'), settings).answers?.map((r) =>
      r.type === 'SRV' ? r.data : undefined,
    );
    assert.deepEqual(data, [
      { priority: 1, weight: 75, port: 80, target: 'a.web.s.prod.example.com' },
      { priority: 1, weight: 25, port: 80, target: 'b.web.s.prod.example.com' },
      { priority: 2, weight: 1, port: 81, target: 'c.web.s.prod.example.com' },
      { priority: 2, weight: 99, port: 81, target: 'd.web.s.prod.example.com' },
    ]);
  });

  it('targets a host-name record at its host, with the in-zone addresses of that name; applies targetstrip', () => {
    const index = zone({
      'influxdb/node-back-1': { host: '10.0.0.5' },
      'db/alias': { host: 'influxdb.s.prod.example.com', port: 8086 },
      'strip/a': { host: '10.0.0.9', port: 1, targetstrip: 1 },
    });
    const alias = answer(index, query('alias.db.s.prod.example.com', 'SRV'), settings);
    assert.deepEqual(alias.answers, [
      {
        name: 'alias.db.s.prod.example.com',
        type: 'SRV',
        ttl: 60,
        data: { priority: 10, weight: 100, port: 8086, target: 'influxdb.s.prod.example.com' },
      },
    ]);
    assert.deepEqual(alias.additionals, [a('influxdb.s.prod.example.com', '10.0.0.5', 60)]);
    const stripped = answer(index, query('a.strip.s.prod.example.com', 'SRV'), settings);
    assert.deepEqual(
      stripped.answers?.[0]?.type === 'SRV' && stripped.answers[0].data.target,
      'strip.s.prod.example.com',
    );
    assert.deepEqual(stripped.additionals, [a('strip.s.prod.example.com', '10.0.0.9', 60)]);
  });

  it('answers MX from records with mail', () => {
    const index = zone({ 'mail/a': { host: '10.0.0.1', mail: true, priority: 5 }, 'mail/b': { host: '10.0.0.2' } });
    const result = answer(index, query('mail.s.prod.example.com', 'MX'), settings);
    assert.deepEqual(result.answers, [
      {
        name: 'mail.s.prod.example.com',
        type: 'MX',
        ttl: 60,
        data: { preference: 5, exchange: 'a.mail.s.prod.example.com' },
      },
    ]);
    assert.deepEqual(result.additionals, [a('a.mail.s.prod.example.com', '10.0.0.1', 60)]);
  });

  it('answers only the group of the shortest keys (SkyDNS group)', () => {
    const index = zone({
      'web/a': { host: '10.0.0.1', group: 'g1' },
      'web/b': { host: '10.0.0.2', group: 'g2' },
      'web/x/c': { host: '10.0.0.3', group: 'g1' },
    });
    // Same depth, different groups: the group is ignored.
    assert.equal(answer(index, query('web.s.prod.example.com', 'A'), settings).answers?.length, 3);
    index.delete('/skydns/com/example/prod/s/web/b');
    index.put('/skydns/com/example/prod/s/web/x/d', JSON.stringify({ host: '10.0.0.4', group: 'g2' }));
    const data = answer(index, query('web.s.prod.example.com', 'A'), settings).answers?.map((r) =>
      r.type === 'A' ? r.data : '',
    );
    assert.deepEqual(data, ['10.0.0.1', '10.0.0.3']);
  });
});

describe('answer: apex, ANY and negatives', () => {
  it('answers SOA at the apex with the serial from settings, modulo 2^32', () => {
    const q = query('S.prod.example.com', 'SOA');
    assert.deepEqual(
      answer(reference(), q, settings),
      response(q, 0, { answers: [{ ...SOA, name: 'S.prod.example.com' }] }),
    );
    const wrapped = answer(reference(), q, { ...settings, serial: 2 ** 32 + 7 }).answers?.[0];
    assert.equal(wrapped?.type === 'SOA' && wrapped.data.serial, 7);
  });

  it('answers NS at the apex with ns.dns.<domain>, glue from records at that name', () => {
    const q = query(D, 'NS');
    assert.deepEqual(
      answer(reference(), q, settings),
      response(q, 0, { answers: [{ name: D, type: 'NS', ttl: 60, data: `ns.dns.${D}` }] }),
    );
    const index = zone({ 'dns/ns': { host: '10.0.0.53', ttl: 300 } });
    assert.deepEqual(answer(index, q, settings).additionals, [a(`ns.dns.${D}`, '10.0.0.53', 300)]);
  });

  it('answers A at the apex from apex.dns.<domain> only (never the whole zone)', () => {
    const q = query(D, 'A');
    assert.deepEqual(answer(reference(), q, settings), response(q, 0, { authorities: [SOA] }));
    const index = zone({ 'dns/apex': { host: '10.0.0.80' }, 'web/a': { host: '10.0.0.1' } });
    assert.deepEqual(answer(index, q, settings).answers, [a(D, '10.0.0.80', 60)]);
    assert.deepEqual(answer(index, query(D, 'SRV'), settings).answers, []);
  });

  it('answers ANY with one HINFO RFC8482 record (RFC 8482), NXDOMAIN where the name does not exist', () => {
    const q = query('influxdb.s.prod.example.com', 'ANY');
    assert.deepEqual(
      answer(reference(), q, settings),
      response(q, 0, {
        answers: [{ name: 'influxdb.s.prod.example.com', type: 'HINFO', ttl: 8482, data: { cpu: 'RFC8482', os: '' } }],
      }),
    );
    assert.equal(answer(reference(), query('nope.s.prod.example.com', 'ANY'), settings).flags, AA | RD | 3);
  });

  it('answers NXDOMAIN and NODATA with the SOA in authority, its TTL the SOA minimum', () => {
    const nx = query('nope.s.prod.example.com', 'A');
    assert.deepEqual(answer(reference(), nx, settings), response(nx, 3, { authorities: [SOA] }));
    const nodata = query('influxdb.s.prod.example.com', 'MX');
    assert.deepEqual(answer(reference(), nodata, settings), response(nodata, 0, { authorities: [SOA] }));
    const custom = answer(reference(), nx, { ...settings, negativeTtl: 5 }).authorities?.[0];
    assert.deepEqual(custom?.type === 'SOA' && [custom.ttl, custom.data.minimum], [5, 5]);
  });
});

describe('answer: requests it does not serve', () => {
  it('refuses names outside the zone, other classes and zone transfers, without AA', () => {
    for (const q of [query('example.org', 'A'), query('prod.example.com', 'A'), query(D, 'AXFR'), query(D, 'IXFR')]) {
      assert.deepEqual(answer(reference(), q, settings), response(q, 5, {}, false));
    }
    const chaos: Packet = { ...query('version.bind', 'TXT'), questions: [{ name: D, type: 'TXT', class: 'CH' }] };
    assert.deepEqual(answer(reference(), chaos, settings), response(chaos, 5, {}, false));
  });

  it('answers NOTIMP for opcodes other than QUERY and FORMERR for anything but one question', () => {
    const update: Packet = { ...query(D, 'SOA'), flags: (5 << 11) | RD };
    assert.deepEqual(answer(reference(), update, settings), {
      ...response(update, 4, {}, false),
      flags: (5 << 11) | RD | 4,
      questions: [],
    });
    const none: Packet = { ...query(D, 'SOA'), questions: [] };
    assert.deepEqual(answer(reference(), none, settings), response(none, 1, {}, false));
    const two: Packet = {
      ...query(D, 'SOA'),
      questions: [
        { name: D, type: 'SOA' },
        { name: D, type: 'NS' },
      ],
    };
    assert.deepEqual(answer(reference(), two, settings), { ...response(two, 1, {}, false), questions: [] });
  });
});

describe('answer: EDNS', () => {
  it('answers an OPT record with its own payload size 1232, echoing DO', () => {
    const q = query('node-back-1.influxdb.s.prod.example.com', 'A', { additionals: [opt(4096, 0x8000)] });
    assert.deepEqual(answer(reference(), q, settings).additionals, [opt(1232, 0x8000)]);
    assert.deepEqual(
      answer(reference(), query(D, 'SOA'), settings).additionals,
      [],
      'no OPT without one in the request',
    );
  });

  it('answers BADVERS to EDNS versions above 0 and FORMERR to two OPT records', () => {
    const q = query(D, 'SOA', { additionals: [opt(1232, 0, 1)] });
    assert.deepEqual(
      answer(reference(), q, settings),
      response(q, 0, { additionals: [{ ...opt(1232), extendedRcode: 1 }] }, false),
    );
    const twice = query(D, 'SOA', { additionals: [opt(1232), opt(1232)] });
    assert.deepEqual(answer(reference(), twice, settings), { ...response(twice, 1, {}, false), questions: [] });
  });
});
