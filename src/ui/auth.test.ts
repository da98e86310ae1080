import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAccess } from './auth.js';

const TOKEN = 'a-token-of-24-characters';
const at = (path: string): URL => new URL(path, 'http://ui.invalid');
const DENIED = {
  ok: false,
  status: 401,
  message: 'this UI needs its token: open /?token=TOKEN once, or send Authorization: Bearer TOKEN',
};

describe('checkAccess', () => {
  it('with a token: the bearer header or the cookie, else 401', () => {
    assert.deepEqual(checkAccess(at('/'), {}, TOKEN), DENIED);
    assert.deepEqual(checkAccess(at('/events'), { authorization: `Bearer ${TOKEN}x` }, TOKEN), DENIED);
    assert.deepEqual(checkAccess(at('/events'), { cookie: 'rundock_ui_token=nope' }, TOKEN), DENIED);
    assert.deepEqual(checkAccess(at('/events'), { authorization: `Bearer ${TOKEN}` }, TOKEN), { ok: true });
    assert.deepEqual(checkAccess(at('/'), { cookie: `a=b; rundock_ui_token=${TOKEN}` }, TOKEN), { ok: true });
  });

  it('?token= sets the cookie and redirects to the same page without it', () => {
    assert.deepEqual(checkAccess(at(`/api/state?x=1&token=${TOKEN}`), {}, TOKEN), {
      ok: false,
      status: 303,
      location: '/api/state?x=1',
      cookie: `rundock_ui_token=${TOKEN}; Path=/; HttpOnly; SameSite=Strict`,
    });
    assert.deepEqual(checkAccess(at('/?token=wrong'), {}, TOKEN), DENIED);
  });

  it('without a token (loopback): only loopback Host headers, against DNS rebinding', () => {
    for (const host of ['127.0.0.1:9480', 'localhost:9480', '[::1]:9480', 'localhost', undefined])
      assert.deepEqual(checkAccess(at('/'), { host }, undefined), { ok: true }, String(host));
    assert.deepEqual(checkAccess(at('/'), { host: 'attacker.example:9480' }, undefined), {
      ok: false,
      status: 403,
      message: 'this UI listens on loopback; open it as http://127.0.0.1:PORT/',
    });
  });
});
