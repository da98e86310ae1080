import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { peerUrl } from './self-check.js';

describe('peerUrl', () => {
  it("is this frontend's check URL at the peer's address, IPv6 in brackets", () => {
    const own = new URL('http://10.0.0.11:8080/healthz');
    assert.equal(peerUrl(own, '10.0.0.12').href, 'http://10.0.0.12:8080/healthz');
    assert.equal(peerUrl(own, '2001:db8::12').href, 'http://[2001:db8::12]:8080/healthz');
  });
});
