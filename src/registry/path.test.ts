import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { domainPrefix, hostKey, instanceKey, nameOfKey, parseRecordKey, recordKey, servicePrefix } from './path.js';

describe('recordKey', () => {
  it('lays out the DESIGN.md example as SkyDNS does', () => {
    assert.equal(
      recordKey('s.prod.example.com', 'influxdb', 'node-back-1'),
      '/skydns/com/example/prod/s/influxdb/node-back-1',
    );
    assert.equal(domainPrefix('s.prod.example.com'), '/skydns/com/example/prod/s/');
    assert.equal(servicePrefix('s.prod.example.com', 'influxdb'), '/skydns/com/example/prod/s/influxdb/');
  });

  it('accepts a fully qualified domain (one trailing dot) and a one-label domain', () => {
    assert.equal(
      recordKey('s.prod.example.com.', 'grafana', 'node-back-1'),
      '/skydns/com/example/prod/s/grafana/node-back-1',
    );
    assert.equal(domainPrefix('local'), '/skydns/local/');
  });

  it('rejects names that are not lowercase DNS labels, naming the field', () => {
    const bad: [string, string, string, string][] = [
      ['S.prod.example.com', 'influxdb', 'h', 'domain'],
      ['s..example.com', 'influxdb', 'h', 'domain'],
      ['', 'influxdb', 'h', 'domain'],
      ['s/x.example.com', 'influxdb', 'h', 'domain'],
      ['s.example.com', 'InfluxDB', 'h', 'name'],
      ['s.example.com', 'influx_db', 'h', 'name'],
      ['s.example.com', '-influxdb', 'h', 'name'],
      ['s.example.com', 'a'.repeat(64), 'h', 'name'],
      ['s.example.com', 'influxdb', 'node/1', 'hostname'],
      ['s.example.com', 'influxdb', '', 'hostname'],
      ['s.example.com', 'influxdb', 'node.back', 'hostname'],
    ];
    for (const [domain, service, host, field] of bad) {
      assert.throws(
        () => recordKey(domain, service, host),
        { name: 'ValidationError', field, exitCode: 2 },
        `${domain} ${service} ${host}`,
      );
    }
  });
});

describe('hostKey', () => {
  it('puts host records under /rundock/hosts, outside the DNS subtree', () => {
    assert.equal(hostKey('node-back-1'), '/rundock/hosts/node-back-1');
    assert.throws(() => hostKey('Node'), { field: 'hostname' });
  });
});

describe('nameOfKey', () => {
  it('maps a key to the name it answers for, the inverse of recordKey', () => {
    assert.equal(
      nameOfKey('/skydns/com/example/prod/s/influxdb/node-back-1'),
      'node-back-1.influxdb.s.prod.example.com',
    );
    assert.equal(
      nameOfKey(recordKey('s.prod.example.com', 'grafana', 'node-front-2')),
      'node-front-2.grafana.s.prod.example.com',
    );
  });

  it('maps keys written by other tools the way DNS servers do, without checking labels', () => {
    assert.equal(nameOfKey('/skydns/local/skydns/_tcp/x1'), 'x1._tcp.skydns.local');
  });

  it('rejects keys outside /skydns and keys with empty segments', () => {
    for (const key of ['/rundock/hosts/a', '/skydns/', '/skydns/com//a', '/skydns/com/a/', 'skydns/com/a']) {
      assert.throws(() => nameOfKey(key), { field: 'key' }, key);
    }
  });
});

describe('parseRecordKey', () => {
  it("reads a redeploy's second instance below the host's record", () => {
    const key = instanceKey('s.prod.example.com', 'web', 'node-1', '3f2a7b9c0d1e');
    assert.equal(key, '/skydns/com/example/prod/s/web/node-1/3f2a7b9c0d1e');
    assert.deepEqual(parseRecordKey('s.prod.example.com', key), {
      service: 'web',
      host: 'node-1',
      instance: '3f2a7b9c0d1e',
    });
  });

  it('splits a record key of the domain into service and host', () => {
    assert.deepEqual(parseRecordKey('s.prod.example.com', '/skydns/com/example/prod/s/influxdb/node-back-1'), {
      service: 'influxdb',
      host: 'node-back-1',
    });
  });

  it('returns undefined for other domains, other depths and foreign segments', () => {
    const domain = 's.prod.example.com';
    for (const key of [
      '/skydns/com/example/prod/t/influxdb/h',
      '/skydns/com/example/prod/s/influxdb',
      '/skydns/com/example/prod/s/a/b/c/d',
      '/skydns/com/example/prod/s/a/b/C',
      '/skydns/com/example/prod/s/_tcp/h',
    ]) {
      assert.equal(parseRecordKey(domain, key), undefined, key);
    }
  });
});
