/**
 * TXT answers and records with only `text`, exactly as CoreDNS's etcd plugin gives them (plugin/etcd/msg/type.go
 * HostType, plugin/backend_lookup.go TXT/A/SRV/MX, plugin/etcd/etcd.go shouldInclude).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Answer } from 'dns-packet';
import { answer } from './answer.js';
import { query, response, settings, SOA, zone } from './answer-fixture.js';

const txt = (name: string, ttl: number, ...strings: string[]): Answer => ({
  name,
  type: 'TXT',
  ttl,
  data: strings.map((s) => Buffer.from(s)),
});

describe('answer: TXT and records with only text', () => {
  it('answers TXT from a record with text and no host, as CoreDNS does, and nothing for A, AAAA, SRV, MX, CNAME', () => {
    const index = zone({ 'info/note': { text: 'owner=ops', ttl: 20 } });
    const name = 'info.s.prod.example.com';
    const q = query(name, 'TXT');
    assert.deepEqual(answer(index, q, settings), response(q, 0, { answers: [txt(name, 20, 'owner=ops')] }));
    const exact = query('note.info.s.prod.example.com', 'TXT');
    assert.deepEqual(answer(index, exact, settings).answers, [txt('note.info.s.prod.example.com', 20, 'owner=ops')]);
    for (const type of ['A', 'AAAA', 'SRV', 'MX', 'CNAME']) {
      const other = query(name, type);
      assert.deepEqual(answer(index, other, settings), response(other, 0, { authorities: [SOA] }), type);
    }
  });

  it('answers each text once, split in 255-byte strings, from host names with text too; never from address records', () => {
    const long = 'x'.repeat(300);
    const index = zone({
      'info/a': { text: 'hello' },
      'info/b': { text: long },
      'info/c': { text: 'hello', ttl: 5 },
      'info/d': { host: 'db.example.org', text: 'named' },
      'info/e': { host: '10.0.0.1', text: 'ignored: an address record is A, never TXT' },
      'plain/a': { host: '10.0.0.3' },
    });
    const name = 'info.s.prod.example.com';
    const q = query(name, 'TXT');
    assert.deepEqual(
      answer(index, q, settings),
      response(q, 0, {
        answers: [txt(name, 60, 'hello'), txt(name, 60, 'x'.repeat(255), 'x'.repeat(45)), txt(name, 60, 'named')],
      }),
    );
    const plain = query('plain.s.prod.example.com', 'TXT');
    assert.deepEqual(answer(index, plain, settings), response(plain, 0, { authorities: [SOA] }));
  });

  it('follows a CNAME for TXT inside the zone, keeps it only when it leads to text, answers it alone outside', () => {
    const index = zone({
      'spf/mail': { text: 'v=spf1 -all' },
      'alias/a': { host: 'spf.s.prod.example.com', ttl: 7 },
      'alias/b': { host: 'www.example.org' },
      'dead/a': { host: 'influxdb.s.prod.example.com' },
      'influxdb/node-back-1': { host: '10.0.0.5' },
    });
    const cname = (name: string, data: string, ttl: number): Answer => ({ name, type: 'CNAME', ttl, data });
    const a = query('a.alias.s.prod.example.com', 'TXT');
    assert.deepEqual(answer(index, a, settings).answers, [
      cname('a.alias.s.prod.example.com', 'spf.s.prod.example.com', 7),
      txt('spf.s.prod.example.com', 60, 'v=spf1 -all'),
    ]);
    const b = query('b.alias.s.prod.example.com', 'TXT');
    assert.deepEqual(answer(index, b, settings).answers, [cname('b.alias.s.prod.example.com', 'www.example.org', 60)]);
    const dead = query('a.dead.s.prod.example.com', 'TXT');
    assert.deepEqual(answer(index, dead, settings), response(dead, 0, { authorities: [SOA] }));
  });

  it('leaves a text-only record out of SRV weights, and counts a host name with text there without answering it', () => {
    const weights = (records: Record<string, object>): unknown =>
      answer(zone(records), query('web.s.prod.example.com', 'SRV'), settings).answers?.map((r) =>
        r.type === 'SRV' ? [r.data.target, r.data.weight] : undefined,
      );
    const base = { 'web/a': { host: '10.0.0.1', port: 80 }, 'web/b': { host: '10.0.0.2', port: 80 } };
    assert.deepEqual(weights({ ...base, 'web/note': { text: 'owner=ops' } }), [
      ['a.web.s.prod.example.com', 50],
      ['b.web.s.prod.example.com', 50],
    ]);
    // CoreDNS sums the weights of every record with a host before it knows which answer: 100 / 300 each.
    assert.deepEqual(weights({ ...base, 'web/named': { host: 'db.example.org', text: 't', port: 80 } }), [
      ['a.web.s.prod.example.com', 33],
      ['b.web.s.prod.example.com', 33],
    ]);
  });

  it('leaves a text-only record out of the group decision of other types', () => {
    const index = zone({
      'web/x/b': { host: '10.0.0.2', group: 'g1' },
      'web/x/c': { host: '10.0.0.3', group: 'g2' },
      'web/note': { text: 'the shortest key, with a group', group: 'g2' },
    });
    const addresses = (type: string): unknown =>
      answer(index, query('web.s.prod.example.com', type), settings).answers?.map((r) =>
        r.type === 'A' ? r.data : r.type,
      );
    // Without the text-only record, the two shortest records disagree on the group: every record answers.
    assert.deepEqual(addresses('A'), ['10.0.0.2', '10.0.0.3']);
    assert.deepEqual(addresses('TXT'), ['TXT']);
  });
});
