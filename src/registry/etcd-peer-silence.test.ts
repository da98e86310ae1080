import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leaseSilent } from './etcd-peer-silence.js';

describe("leaseSilent (etcd's side of a peer's death)", () => {
  it('a self-lease with less than a second left (TTL 0) is silent; one renewed within the second is not', () => {
    assert.equal(leaseSilent({ TTL: '0', grantedTTL: '2' }), true);
    assert.equal(leaseSilent({ TTL: '1', grantedTTL: '2' }), false);
  });

  it("never a lease etcd no longer knows (TTL -1, granted 0) nor an agent's long lease", () => {
    assert.equal(leaseSilent({ TTL: '-1', grantedTTL: '0' }), false);
    assert.equal(leaseSilent({ TTL: '0', grantedTTL: '30' }), false);
  });
});
