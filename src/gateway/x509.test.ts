import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { covers, inspectCertificate, splitChain } from './x509.js';
import { OTHER_CERT, OTHER_KEY, WILDCARD_CERT, WILDCARD_KEY } from './x509-fixture.js';

describe('inspectCertificate', () => {
  it('gives the names (SAN, else CN), validity, serial and fingerprint of a pair whose key matches', () => {
    const facts = inspectCertificate(WILDCARD_CERT, WILDCARD_KEY);
    assert.deepEqual(facts.names, ['*.example.com', 'example.com']);
    assert.ok(facts.notAfter.getTime() > Date.now());
    assert.match(facts.serial, /^[0-9A-F]+$/);
    assert.match(facts.fingerprint, /^[0-9a-f]{64}$/);
    assert.deepEqual(inspectCertificate(OTHER_CERT, OTHER_KEY).names, ['other.example.org']);
  });

  it('refuses a key of another certificate, no certificate, garbage and an expired certificate, without the key', () => {
    assert.throws(() => inspectCertificate(WILDCARD_CERT, OTHER_KEY), /belongs to another certificate/);
    assert.throws(() => inspectCertificate('', WILDCARD_KEY), /no PEM certificate/);
    assert.throws(() => inspectCertificate(WILDCARD_CERT, 'not a key'), /not a valid PEM private key/);
    const later = Date.now() + 200 * 365 * 86_400_000;
    assert.throws(
      () => inspectCertificate(WILDCARD_CERT, WILDCARD_KEY, later),
      (error: Error) => /expired/.test(error.message) && !error.message.includes('PRIVATE'),
    );
  });

  it('splits a chain into its certificates, leaf first', () => {
    assert.equal(splitChain(`${WILDCARD_CERT}${OTHER_CERT}`).length, 2);
  });
});

describe('covers', () => {
  it('an exact name, or a wildcard one label up; never a wildcard for a deeper name', () => {
    const names = ['*.example.com', 'example.com'];
    assert.equal(covers(names, 'shop.example.com'), true);
    assert.equal(covers(names, 'example.com'), true);
    assert.equal(covers(names, '*.example.com'), true);
    assert.equal(covers(names, 'a.shop.example.com'), false);
    assert.equal(covers(['shop.example.com'], '*.example.com'), false);
  });
});
