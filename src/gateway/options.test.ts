import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../shared/errors.js';
import { gatewayRenderOptions, settingsFor, upstreamName } from './options.js';

const DOMAIN = 's.prod.example.com';

function rejects(input: Parameters<typeof gatewayRenderOptions>[0], field: string, pattern: RegExp): void {
  assert.throws(
    () => gatewayRenderOptions(input),
    (error: unknown) => error instanceof ValidationError && error.field === field && pattern.test(error.message),
  );
}

describe('gatewayRenderOptions', () => {
  it('derives upstream names, renames and merges per-service settings over the defaults', () => {
    const options = gatewayRenderOptions({
      domain: DOMAIN,
      upstreams: ['grafana=docker_grafana', 'web-ui'],
      upstreamOptions: ['*:keepalive=64', 'grafana:keepalive=512', 'grafana:max_fails=0'],
    });
    assert.equal(upstreamName(options, 'grafana'), 'docker_grafana');
    assert.equal(upstreamName(options, 'web-ui'), 'rundock_web_ui');
    assert.deepEqual(options.declared, ['grafana', 'web-ui']);
    assert.deepEqual(settingsFor(options, 'grafana'), {
      balance: { method: 'round_robin' },
      keepalive: 512,
      maxFails: 0,
    });
    assert.deepEqual(settingsFor(options, 'other'), { balance: { method: 'round_robin' }, keepalive: 64 });
    assert.deepEqual(options.listen, ['80']);
  });

  it('parses hash keys with variables and the consistent flag', () => {
    const options = gatewayRenderOptions({
      domain: DOMAIN,
      upstreamOptions: ['a:hash=$scheme${request_uri}:x', 'b:hash=$remote_addr consistent'],
    });
    assert.deepEqual(settingsFor(options, 'a').balance, {
      method: 'hash',
      key: '$scheme${request_uri}:x',
      consistent: false,
    });
    assert.deepEqual(settingsFor(options, 'b').balance, { method: 'hash', key: '$remote_addr', consistent: true });
  });

  it('refuses anything that could break out of a directive', () => {
    rejects({ domain: DOMAIN, upstreamOptions: ['a:hash=$x; include /etc/passwd'] }, 'upstream-option', /hash/);
    rejects({ domain: DOMAIN, upstreamOptions: ['a:fail_timeout=10s;'] }, 'upstream-option', /nginx time/);
    rejects({ domain: DOMAIN, upstreams: ['grafana=x{'] }, 'upstream', /NAME/);
    rejects({ domain: DOMAIN, routes: ['a.example.com;=grafana'] }, 'route', /HOSTNAME\[\/PATH\]=SERVICE/);
    rejects({ domain: DOMAIN, routes: ['a.example.com/x;y=grafana'] }, 'route', /PATH/);
    rejects({ domain: DOMAIN, routes: ['a.example.com/../x=grafana'] }, 'route', /\.\./);
    rejects({ domain: DOMAIN, httpsListen: ['443 ssl'] }, 'https-listen', /PORT/);
    rejects({ domain: DOMAIN, listen: ['80; include x'] }, 'route-listen', /PORT/);
    rejects({ domain: DOMAIN, resolve: '127.0.0.1:53;' }, 'nginx-resolve', /IP/);
  });

  it('names the flag and the value of every other mistake', () => {
    rejects({ domain: DOMAIN, upstreams: ['Grafana'] }, 'upstream', /DNS label/);
    rejects({ domain: DOMAIN, upstreams: ['a=rundock_b'] }, 'upstream', /reserved/);
    rejects({ domain: DOMAIN, upstreams: ['a=same', 'b=same'] }, 'upstream', /two services/);
    rejects({ domain: DOMAIN, routes: ['x.example.com=a', 'X.example.com=b'] }, 'route', /twice/);
    rejects({ domain: DOMAIN, upstreamOptions: ['a:keepalive=-1'] }, 'upstream-option', /whole number/);
    rejects({ domain: DOMAIN, upstreamOptions: ['a:weight=3'] }, 'upstream-option', /KEY must be/);
    rejects({ domain: DOMAIN, upstreamOptions: ['a:balance=fastest'] }, 'upstream-option', /round_robin/);
    rejects({ domain: DOMAIN, upstreamOptions: ['keepalive=3'] }, 'upstream-option', /SERVICE:KEY=VALUE/);
    rejects({ domain: 'local', resolve: '127.0.0.1' }, 'domain', /two labels/);
    rejects({ domain: 'Bad_Domain' }, 'domain', /lowercase/);
  });

  it('accepts wildcard route names and IPv6 listen addresses', () => {
    const options = gatewayRenderOptions({
      domain: DOMAIN,
      routes: ['*.Example.com=grafana'],
      listen: ['[::1]:8080', '*:80', '443'],
      resolve: '[::1]:8053',
    });
    assert.deepEqual(options.routes, [{ hostname: '*.example.com', path: '/', service: 'grafana' }]);
    assert.deepEqual(options.listen, ['[::1]:8080', '*:80', '443']);
    assert.deepEqual(options.resolve, { resolver: '[::1]:8053' });
  });
});
