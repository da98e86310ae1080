import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../shared/errors.js';
import { parseTsigKey } from './tsig-key.js';

const SECRET = Buffer.alloc(32, 7).toString('base64');
const keygen = (name: string, algorithm: string, secret: string): string =>
  `key "${name}" {\n\talgorithm ${algorithm};\n\tsecret "${secret}";\n};\n`;

describe('parseTsigKey (tsig-keygen key files)', () => {
  it("reads tsig-keygen's output: the key's name and algorithm, never the secret", () => {
    const key = parseTsigKey(keygen('rundock-public', 'hmac-sha256', SECRET), '/etc/rundock/tsig.key');
    assert.deepEqual(key, { file: '/etc/rundock/tsig.key', name: 'rundock-public', algorithm: 'hmac-sha256' });
    assert.ok(!JSON.stringify(key).includes(SECRET));
  });

  it('refuses another algorithm, a missing or short secret, and anything that is not one key, without the secret', () => {
    const cases: [string, RegExp][] = [
      [keygen('k', 'hmac-md5', SECRET), /algorithm hmac-md5/],
      [keygen('k', 'hmac-sha256', 'c2hvcnQ='), /at least 16 bytes/],
      [keygen('k', 'hmac-sha256', 'not base64!'), /base64/],
      ['secret "x";', /one key as tsig-keygen writes it/],
      [keygen('a', 'hmac-sha256', SECRET) + keygen('b', 'hmac-sha256', SECRET), /one key/],
    ];
    for (const [text, reason] of cases) {
      assert.throws(
        () => parseTsigKey(text, '/k'),
        (e: unknown) =>
          e instanceof ValidationError &&
          e.field === 'tsig-key-file' &&
          reason.test(e.reason) &&
          !e.message.includes(SECRET),
      );
    }
  });
});
