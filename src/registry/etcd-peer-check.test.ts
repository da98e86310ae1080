import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unprovenPeers, type SeenRecord } from './etcd-peer-check.js';

const prefix = '/skydns/com/example/www/';
const value = '{"host":"192.0.2.1"}';
const record = (host: string, modRevision: number, lease = '7'): SeenRecord => ({
  key: `${prefix}${host}`,
  modRevision,
  lease,
  value,
});

describe('unprovenPeers (who did not put its record again in the new term)', () => {
  it("judges other hosts' records on a lease not put since the older term's newest revision", () => {
    const seen = [record('node-front-1', 40), record('node-front-2', 55), record('node-front-3', 50)];
    const stale = unprovenPeers(seen, prefix, `${prefix}node-front-1`, 50);
    assert.deepEqual(
      stale.map((r) => r.key),
      [`${prefix}node-front-3`],
    );
  });

  it('never its own record, records without a lease, or keys that are not one host below the name', () => {
    const seen = [
      record('node-front-1', 10),
      record('legacy', 10, '0'),
      { key: `${prefix}node-front-2/3f2a7b9c0d1e`, modRevision: 10, lease: '7', value },
      { key: '/skydns/com/example/other/node-front-2', modRevision: 10, lease: '7', value },
    ];
    assert.deepEqual(unprovenPeers(seen, prefix, `${prefix}node-front-1`, 50), []);
  });
});
