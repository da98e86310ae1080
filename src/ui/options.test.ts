import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ValidationError } from '../shared/errors.js';
import { isLoopback, uiOptions } from './options.js';

const DOMAIN = 's.prod.example.com';
const TOKEN = '0123456789abcdef0123';
const dir = mkdtempSync(join(tmpdir(), 'rundock-ui-options-'));
const tokenFile = (text: string): string => {
  const file = join(dir, `t${Math.random()}`);
  writeFileSync(file, text);
  return file;
};
const fails = (fn: () => unknown, message: string): void =>
  assert.throws(fn, (e: unknown) => e instanceof ValidationError && e.message === message && e.exitCode === 2);

describe('uiOptions', () => {
  it('loopback needs no token; the result is frozen', () => {
    const options = uiOptions({ domain: DOMAIN, listen: '127.0.0.1:9480' }, {});
    assert.deepEqual(options, { domain: DOMAIN, listen: { host: '127.0.0.1', port: 9480 }, token: undefined });
    assert.ok(Object.isFrozen(options) && Object.isFrozen(options.listen));
    assert.deepEqual(uiOptions({ domain: DOMAIN, listen: '[::1]:0' }, {}).listen, { host: '::1', port: 0 });
  });

  it('any other address needs a token, from the file (first line) or RUNDOCK_UI_TOKEN', () => {
    fails(
      () => uiOptions({ domain: DOMAIN, listen: '0.0.0.0:9480' }, {}),
      'ui-token-file: is required to listen on 0.0.0.0:9480, which is not a loopback address: a file holding the token (or RUNDOCK_UI_TOKEN) (got nothing)',
    );
    const file = tokenFile(`${TOKEN}\nignored\n`);
    assert.equal(uiOptions({ domain: DOMAIN, listen: '10.0.0.2:9480', tokenFile: file }, {}).token, TOKEN);
    assert.equal(uiOptions({ domain: DOMAIN, listen: '10.0.0.2:9480' }, { RUNDOCK_UI_TOKEN: TOKEN }).token, TOKEN);
  });

  it('a short token, an unreadable file, a bad address or domain: exit 2 naming the flag, never the token', () => {
    fails(
      () => uiOptions({ domain: DOMAIN, listen: '0.0.0.0:1' }, { RUNDOCK_UI_TOKEN: 'short' }),
      'RUNDOCK_UI_TOKEN: must hold a token of at least 16 printable characters without spaces (e.g. openssl rand -hex 32) (got "(not shown)")',
    );
    const short = tokenFile('short\n');
    fails(
      () => uiOptions({ domain: DOMAIN, listen: '0.0.0.0:1', tokenFile: short }, {}),
      `ui-token-file: must hold a token of at least 16 printable characters without spaces (e.g. openssl rand -hex 32) (got ${JSON.stringify(short)})`,
    );
    assert.throws(() => uiOptions({ domain: DOMAIN, listen: '0.0.0.0:1', tokenFile: '/nonexistent/t' }, {}), {
      message: /^ui-token-file: cannot be read \(ENOENT.*\(got "\/nonexistent\/t"\)$/,
    });
    fails(
      () => uiOptions({ domain: DOMAIN, listen: '9480', listenFlag: 'ui' }, {}),
      'ui: must be ADDRESS:PORT (IPv6 in brackets) (got "9480")',
    );
    fails(
      () => uiOptions({ domain: DOMAIN, listen: '127.0.0.1:70000' }, {}),
      'listen: must have a port from 0 to 65535 (got "127.0.0.1:70000")',
    );
    fails(
      () => uiOptions({ domain: 'S.Example', listen: '127.0.0.1:1' }, {}),
      'domain: must be a domain of lowercase DNS labels, e.g. s.prod.example.com (got "S.Example")',
    );
  });

  it('knows loopback addresses', () => {
    const yes = ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'];
    const no = ['0.0.0.0', '::', '10.0.0.2', '128.0.0.1', 'example.com', '::ffff:10.0.0.1'];
    assert.deepEqual(
      yes.map(isLoopback),
      yes.map(() => true),
    );
    assert.deepEqual(
      no.map(isLoopback),
      no.map(() => false),
    );
  });
});
