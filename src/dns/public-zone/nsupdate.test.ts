import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyFailure, updateScript } from './nsupdate.js';

const server = { host: '2001:db8::53', port: 5353 };

describe('updateScript', () => {
  it('replaces the A and AAAA RRsets of the name in one update', () => {
    assert.equal(
      updateScript(server, 'example.com', 5, { a: ['203.0.113.10'], aaaa: ['2001:db8::10'] }),
      'server 2001:db8::53 5353\nupdate delete example.com. A\nupdate add example.com. 5 A 203.0.113.10\n' +
        'update delete example.com. AAAA\nupdate add example.com. 5 AAAA 2001:db8::10\nsend\n',
    );
  });

  it('refuses anything that is not a name, an address of the right family, or a TTL: nothing else reaches nsupdate', () => {
    const none = { a: [], aaaa: [] };
    assert.throws(() => updateScript(server, 'www.example.com\nupdate delete example.com. SOA', 5, none), /DNS name/);
    assert.throws(() => updateScript(server, 'www.example.com', 5, { a: ['2001:db8::1'], aaaa: [] }), /IPv4/);
    assert.throws(() => updateScript(server, 'www.example.com', 5, { a: ['10.0.0.1 ; x'], aaaa: [] }), /IPv4/);
    assert.throws(() => updateScript({ host: 'ns1', port: 53 }, 'www.example.com', 5, none), /IP/);
    assert.throws(() => updateScript(server, 'www.example.com', -1, none), /TTL/);
  });
});

describe('classifyFailure', () => {
  it("tells the key, the primary's ACL and an unreachable primary apart from nsupdate's words", () => {
    assert.equal(
      classifyFailure('; TSIG error with server: tsig indicates error\nupdate failed: NOTAUTH(BADSIG)'),
      'key',
    );
    assert.equal(classifyFailure('update failed: REFUSED'), 'refused');
    assert.equal(classifyFailure('; communications error to 10.78.0.53#53: timed out'), 'unreachable');
    assert.equal(classifyFailure('update failed: SERVFAIL'), 'unreachable');
  });
});
