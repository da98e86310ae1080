import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ZoneIndex } from './zone-index.js';

const DOMAIN = 's.prod.example.com';
const key = (service: string, host: string): string => `/skydns/com/example/prod/s/${service}/${host}`;
const value = (host: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ host, port: 8086, ttl: 30, ...extra });

function names(index: ZoneIndex, name: string): string[] | undefined {
  return index.find(name)?.records.map((e) => e.name);
}

function reference(): { index: ZoneIndex; bad: [string, string][] } {
  const bad: [string, string][] = [];
  const index = new ZoneIndex(DOMAIN, { onBadRecord: (k, reason) => bad.push([k, reason]) });
  index.put(key('influxdb', 'node-back-1'), value('10.0.0.5'));
  index.put(key('influxdb', 'node-back-2'), value('10.0.0.6'));
  index.put(key('grafana', 'node-back-1'), value('10.0.0.5', { port: 8087 }));
  return { index, bad };
}

describe('ZoneIndex', () => {
  it('answers a service name with every instance and a host name with its own record', () => {
    const { index } = reference();
    assert.equal(index.size, 3);
    assert.deepEqual(names(index, 'influxdb.s.prod.example.com'), [
      'node-back-1.influxdb.s.prod.example.com',
      'node-back-2.influxdb.s.prod.example.com',
    ]);
    assert.deepEqual(names(index, 'node-back-2.influxdb.s.prod.example.com'), [
      'node-back-2.influxdb.s.prod.example.com',
    ]);
    const match = index.find('node-back-2.influxdb.s.prod.example.com');
    assert.equal(match?.exact[0]?.record.host, '10.0.0.6');
    assert.equal(match?.exact[0]?.family, 4);
    assert.equal(match?.exact[0]?.depth, 2);
  });

  it('matches names case-insensitively, with or without the trailing dot', () => {
    const { index } = reference();
    assert.deepEqual(names(index, 'NODE-BACK-1.InfluxDB.S.Prod.Example.COM.'), [
      'node-back-1.influxdb.s.prod.example.com',
    ]);
    assert.equal(index.inZone('X.S.PROD.EXAMPLE.COM.'), true);
    assert.equal(index.inZone('s.prod.example.com'), true);
    assert.equal(index.inZone('prod.example.com'), false);
    assert.equal(index.inZone('xs.prod.example.com'), false);
  });

  it('tells a name that exists without records of its own (empty non-terminal) from one that does not exist', () => {
    const { index } = reference();
    const service = index.find('influxdb.s.prod.example.com');
    assert.deepEqual(service?.exact, []);
    assert.equal(service?.records.length, 2);
    assert.equal(index.find('nope.s.prod.example.com'), undefined);
    assert.equal(index.find('deeper.node-back-1.influxdb.s.prod.example.com'), undefined);
    assert.deepEqual(index.find('s.prod.example.com')?.records.length, 3, 'the apex always exists');
    assert.equal(index.find('example.com'), undefined, 'outside the zone');
  });

  it('treats * and any as one label of any value', () => {
    const { index } = reference();
    assert.deepEqual(names(index, '*.influxdb.s.prod.example.com'), [
      'node-back-1.influxdb.s.prod.example.com',
      'node-back-2.influxdb.s.prod.example.com',
    ]);
    assert.deepEqual(names(index, 'node-back-1.*.s.prod.example.com'), [
      'node-back-1.influxdb.s.prod.example.com',
      'node-back-1.grafana.s.prod.example.com',
    ]);
    assert.deepEqual(names(index, 'node-back-1.ANY.s.prod.example.com'), [
      'node-back-1.influxdb.s.prod.example.com',
      'node-back-1.grafana.s.prod.example.com',
    ]);
    assert.deepEqual(index.find('*.*.s.prod.example.com')?.exact.length, 3);
    assert.equal(index.find('nope.*.s.prod.example.com'), undefined, 'a pattern matching nothing does not exist');
    assert.equal(index.find('*.*.*.s.prod.example.com'), undefined);
    assert.equal(index.find('*.*.s.prod.example.com', 2)?.records.length, 2, 'limit bounds what a wildcard gathers');
  });

  it('replaces a record on put, removes it on delete and prunes empty names', () => {
    const { index } = reference();
    index.put(key('influxdb', 'node-back-1'), value('10.0.0.9'));
    assert.equal(index.size, 3);
    assert.equal(index.find('node-back-1.influxdb.s.prod.example.com')?.exact[0]?.record.host, '10.0.0.9');
    assert.equal(
      index.find('influxdb.s.prod.example.com')?.records[0]?.record.host,
      '10.0.0.9',
      'cached lists see the change',
    );
    index.delete(key('grafana', 'node-back-1'));
    index.delete(key('grafana', 'node-back-1'));
    index.delete(key('nothing', 'here'));
    assert.equal(index.size, 2);
    assert.equal(index.find('grafana.s.prod.example.com'), undefined);
    index.delete(key('influxdb', 'node-back-1'));
    index.delete(key('influxdb', 'node-back-2'));
    assert.equal(index.size, 0);
    assert.equal(index.find('influxdb.s.prod.example.com'), undefined);
  });

  it('replaceAll swaps the whole view', () => {
    const { index } = reference();
    index.replaceAll([
      [key('web', 'a'), value('10.1.0.1')],
      ['/skydns/org/other/web/a', value('10.9.9.9')],
    ]);
    assert.equal(index.size, 1);
    assert.equal(index.find('influxdb.s.prod.example.com'), undefined);
    assert.deepEqual(names(index, 'web.s.prod.example.com'), ['a.web.s.prod.example.com']);
  });

  it('ignores keys outside the domain and reports bad values without failing, a later good value replacing them', () => {
    const { index, bad } = reference();
    index.put('/skydns/org/example/web/a', value('10.0.0.1'));
    index.put('/rundock/hosts/node-back-1', '{}');
    index.put('/skydns/com/example/prod/sx/web/a', value('10.0.0.1'));
    assert.equal(index.size, 3);
    assert.equal(bad.length, 0);
    index.put(key('influxdb', 'node-back-1'), '{"host":"10.0.0.5","port":"8086"}');
    index.put(key('web', 'a'), 'not json');
    assert.equal(index.size, 2, "a bad value drops the key's previous record");
    assert.deepEqual(
      bad.map(([k]) => k),
      [key('influxdb', 'node-back-1'), key('web', 'a')],
    );
    assert.match(bad[0]?.[1] ?? '', /port/);
    index.put(key('web', 'a'), value('10.0.0.7'));
    assert.equal(index.find('a.web.s.prod.example.com')?.exact[0]?.record.host, '10.0.0.7');
  });

  it('reports keys that map to no valid DNS name', () => {
    const { index, bad } = reference();
    index.put('/skydns/com/example/prod/s//a', value('10.0.0.1'));
    index.put(`/skydns/com/example/prod/s/${'x'.repeat(64)}/a`, value('10.0.0.1'));
    assert.equal(bad.length, 2);
    assert.equal(index.size, 3);
  });

  it('classifies hosts: IPv4, IPv6, IPv4-mapped IPv6 (as Go does), names', () => {
    const { index } = reference();
    index.put(key('v6', 'a'), value('2001:db8::1'));
    index.put(key('mapped', 'a'), value('::ffff:10.0.0.8'));
    index.put(key('alias', 'a'), value('influxdb.s.prod.example.com'));
    const entry = (name: string) => index.find(name)?.exact[0];
    assert.deepEqual(
      [entry('a.v6.s.prod.example.com')?.family, entry('a.v6.s.prod.example.com')?.address],
      [6, '2001:db8::1'],
    );
    assert.deepEqual(
      [entry('a.mapped.s.prod.example.com')?.family, entry('a.mapped.s.prod.example.com')?.address],
      [4, '10.0.0.8'],
    );
    assert.deepEqual(
      [entry('a.alias.s.prod.example.com')?.family, entry('a.alias.s.prod.example.com')?.address],
      [0, ''],
    );
  });

  it("a change leaves every other name's answer as it was: only the names above the changed key are gathered again", () => {
    const { index } = reference();
    const grafana = index.find('grafana.s.prod.example.com')?.records;
    const host = index.find('node-back-1.influxdb.s.prod.example.com')?.records;
    index.delete(key('influxdb', 'node-back-2'));
    index.put(key('influxdb', 'node-back-3'), value('10.0.0.7'));
    assert.equal(index.find('grafana.s.prod.example.com')?.records, grafana, 'the same list, not gathered again');
    assert.equal(index.find('node-back-1.influxdb.s.prod.example.com')?.records, host);
    assert.deepEqual(names(index, 'influxdb.s.prod.example.com'), [
      'node-back-1.influxdb.s.prod.example.com',
      'node-back-3.influxdb.s.prod.example.com',
    ]);
  });

  it('holds 100,000 records in a bounded heap, with O(depth) updates', () => {
    const index = new ZoneIndex(DOMAIN);
    const before = process.memoryUsage().heapUsed;
    const entries: [string, string][] = [];
    for (let i = 0; i < 100_000; i++)
      entries.push([
        key(`svc${i % 1000}`, `host${Math.floor(i / 1000)}`),
        value(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`),
      ]);
    index.replaceAll(entries);
    assert.equal(index.size, 100_000);
    assert.equal(index.find('svc7.s.prod.example.com')?.records.length, 100);
    // Generous: about 45 MB measured; the point is catching a per-record blow-up, not a precise figure.
    assert.ok(process.memoryUsage().heapUsed - before < 200e6, 'heap growth for 100k records');
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) index.put(key('svc7', `host${i % 100}`), value('10.9.9.9'));
    assert.ok(performance.now() - started < 2000, '10k updates stay cheap');
  });
});
