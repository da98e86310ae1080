import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordKey } from '../registry/path.js';
import { snapshotFromRecords } from './snapshot.js';

const DOMAIN = 's.prod.example.com';

describe('snapshotFromRecords', () => {
  it('groups instances by service, sorted, with the port each one announced', () => {
    const { snapshot, skipped } = snapshotFromRecords(DOMAIN, [
      [recordKey(DOMAIN, 'grafana', 'node-back-2'), '{"host":"10.0.0.6","port":8087}'],
      [recordKey(DOMAIN, 'grafana', 'node-back-1'), '{"Host":"10.0.0.5","Port":8087,"ttl":10}'],
      [recordKey(DOMAIN, 'influxdb', 'node-back-1'), '{"host":"10.0.0.5","port":8086,"weight":3}'],
    ]);
    assert.deepEqual(skipped, []);
    assert.deepEqual([...snapshot.services.keys()], ['grafana', 'influxdb']);
    assert.deepEqual(snapshot.services.get('grafana'), [
      { instance: 'node-back-1', address: '10.0.0.5', port: 8087 },
      { instance: 'node-back-2', address: '10.0.0.6', port: 8087 },
    ]);
    assert.deepEqual(snapshot.services.get('influxdb'), [
      { instance: 'node-back-1', address: '10.0.0.5', port: 8086, weight: 3 },
    ]);
  });

  it("includes a redeploy's second instance below the host's record", () => {
    const { snapshot } = snapshotFromRecords(DOMAIN, [
      [recordKey(DOMAIN, 'web', 'node-1'), '{"host":"10.0.0.5","port":32768}'],
      [`${recordKey(DOMAIN, 'web', 'node-1')}/3f2a7b9c0d1e`, '{"host":"10.0.0.5","port":32769}'],
    ]);
    assert.deepEqual(snapshot.services.get('web'), [
      { instance: 'node-1', address: '10.0.0.5', port: 32768 },
      { instance: 'node-1/3f2a7b9c0d1e', address: '10.0.0.5', port: 32769 },
    ]);
  });

  it('skips, with a reason, records without a port, with bad JSON, with a host name, or at another depth', () => {
    const { snapshot, skipped } = snapshotFromRecords(DOMAIN, [
      [recordKey(DOMAIN, 'a', 'h1'), '{"host":"10.0.0.5"}'],
      [recordKey(DOMAIN, 'b', 'h1'), '{"host":"10.0.0.5",'],
      [recordKey(DOMAIN, 'c', 'h1'), '{"host":"10.0.0.5","port":"80"}'],
      [recordKey(DOMAIN, 'd', 'h1'), '{"host":"db.example.com","port":5432}'],
      ['/skydns/com/example/prod/s/dns/ns/x/y', '{"host":"10.0.0.1","port":53}'],
      [recordKey(DOMAIN, 'e', 'h1'), '{"host":"10.0.0.7","port":80}'],
    ]);
    assert.deepEqual(
      skipped.map((s) => s.reason),
      ['no_port', 'invalid', 'invalid', 'host_name', 'not_a_service_key'],
    );
    assert.deepEqual([...snapshot.services.keys()], ['e']);
  });

  it('skips a TXT record (text, no host) with a reason that says so', () => {
    const { snapshot, skipped } = snapshotFromRecords(DOMAIN, [
      [recordKey(DOMAIN, 'web', 'note'), '{"text":"v=1 owner=ops"}'],
      [recordKey(DOMAIN, 'web', 'h1'), '{"host":"10.0.0.7","port":80}'],
    ]);
    assert.deepEqual(skipped, [
      {
        key: recordKey(DOMAIN, 'web', 'note'),
        reason: 'text_only',
        detail: 'a TXT record (text, no host): DNS serves it, nginx has no address in it',
      },
    ]);
    assert.deepEqual(snapshot.services.get('web'), [{ instance: 'h1', address: '10.0.0.7', port: 80 }]);
  });

  it('keeps one server per address when two records announce the same one', () => {
    const { snapshot } = snapshotFromRecords(DOMAIN, [
      [recordKey(DOMAIN, 'a', 'h2'), '{"host":"10.0.0.5","port":80}'],
      [recordKey(DOMAIN, 'a', 'h1'), '{"host":"10.0.0.5","port":80}'],
    ]);
    assert.deepEqual(snapshot.services.get('a'), [{ instance: 'h1', address: '10.0.0.5', port: 80 }]);
  });
});
