import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteClaim } from '../registry/routes.js';
import { gatewayRenderOptions } from './options.js';
import { buildRouteTable } from './route-table.js';

const DOMAIN = 's.prod.example.com';
const claim = (service: string, host: string, routes: [string, string, boolean?][], domain = DOMAIN): RouteClaim => ({
  service,
  host,
  domain,
  routes: routes.map(([hostname, path, stripPrefix = false]) => ({ hostname, path, stripPrefix })),
});

describe('buildRouteTable', () => {
  it("merges every service's routes by hostname, each path once, its own domain only", () => {
    const table = buildRouteTable(
      [
        claim('shop', 'node-back-1', [['shop.example.com', '/']]),
        claim('shop', 'node-back-2', [['shop.example.com', '/']]),
        claim('shop-api', 'node-back-1', [['shop.example.com', '/api', true]]),
        claim('blog', 'node-back-1', [['blog.example.com', '/']], 'other.example.com'),
      ],
      gatewayRenderOptions({ domain: DOMAIN }),
    );
    assert.deepEqual(table.hosts, [
      {
        hostname: 'shop.example.com',
        paths: [
          { path: '/', service: 'shop', upstream: 'rundock_shop', stripPrefix: false, source: 'registry' },
          { path: '/api', service: 'shop-api', upstream: 'rundock_shop_api', stripPrefix: true, source: 'registry' },
        ],
      },
    ]);
    assert.deepEqual(table.services, ['shop', 'shop-api']);
    assert.deepEqual(table.conflicts, []);
  });

  it("the gateway's own --route wins over a service's claim; between services the first name serves; both reported", () => {
    const table = buildRouteTable(
      [
        claim('zeta', 'node-1', [['x.example.com', '/']]),
        claim('alpha', 'node-2', [['x.example.com', '/']]),
        claim('grafana', 'node-1', [['grafana.example.com', '/']]),
        claim('rogue', 'node-3', [['grafana.example.com', '/']]),
      ],
      gatewayRenderOptions({
        domain: DOMAIN,
        routes: ['grafana.example.com=grafana'],
        upstreams: ['grafana=docker_grafana'],
      }),
    );
    const served = table.hosts.map(
      (h) => `${h.hostname}${h.paths[0]?.path}=${h.paths[0]?.service}(${h.paths[0]?.source})`,
    );
    assert.deepEqual(served, ['grafana.example.com/=grafana(flag)', 'x.example.com/=alpha(registry)']);
    assert.equal(table.hosts[0]?.paths[0]?.upstream, 'docker_grafana');
    assert.deepEqual(table.conflicts, [
      { route: 'grafana.example.com', servedBy: 'flag', refused: ['rogue'] },
      { route: 'x.example.com', servedBy: 'alpha', refused: ['zeta'] },
    ]);
  });
});
