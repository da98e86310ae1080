import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordKey } from '../registry/path.js';
import { encodeRecord } from '../registry/record.js';
import { gatewayRenderOptions } from './options.js';
import { flagServers, memoizedUpstreamText, renderUpstream, renderUpstreams } from './render.js';
import { planUpstreams } from './upstream-plan.js';
import { snapshotFromRecords } from './snapshot.js';

const DOMAIN = 's.prod.example.com';
const HEADER =
  '# Rendered by rundock gateway from the services of s.prod.example.com. Do not edit: the next change replaces this file.\n';

/** The reference cluster: grafana on node-back-1, influxdb on two backends. */
function reference(): ReturnType<typeof snapshotFromRecords>['snapshot'] {
  const records: [string, string][] = [
    [recordKey(DOMAIN, 'influxdb', 'node-back-2'), encodeRecord({ host: '10.0.0.6', port: 8086, ttl: 10 })],
    [recordKey(DOMAIN, 'grafana', 'node-back-1'), encodeRecord({ host: '10.0.0.5', port: 8087, ttl: 10 })],
    [recordKey(DOMAIN, 'influxdb', 'node-back-1'), encodeRecord({ host: '10.0.0.5', port: 8086, ttl: 10, weight: 5 })],
  ];
  return snapshotFromRecords(DOMAIN, records).snapshot;
}

describe('renderUpstreams', () => {
  it('renders one upstream per service, instances sorted, default keepalive 32', () => {
    const text = renderUpstreams(reference(), gatewayRenderOptions({ domain: DOMAIN }));
    assert.equal(
      text,
      `${HEADER}
upstream rundock_grafana {
    server 10.0.0.5:8087;
    keepalive 32;
}

upstream rundock_influxdb {
    server 10.0.0.5:8086 weight=5;
    server 10.0.0.6:8086;
    keepalive 32;
}
`,
    );
  });

  it('renames, applies per-service options and renders routes (the reference frontend)', () => {
    const options = gatewayRenderOptions({
      domain: DOMAIN,
      upstreams: ['grafana=docker_grafana'],
      routes: ['grafana.example.com=grafana'],
      upstreamOptions: [
        'grafana:keepalive=512',
        'grafana:balance=least_conn',
        '*:max_fails=3',
        '*:fail_timeout=10s',
        'influxdb:hash=$remote_addr consistent',
        'influxdb:keepalive=0',
      ],
      listen: ['203.0.113.10:80', '10.0.0.2:80'],
    });
    assert.equal(
      renderUpstreams(reference(), options),
      `${HEADER}
upstream docker_grafana {
    least_conn;
    server 10.0.0.5:8087 max_fails=3 fail_timeout=10s;
    keepalive 512;
}

upstream rundock_influxdb {
    hash $remote_addr consistent;
    server 10.0.0.5:8086 weight=5 max_fails=3 fail_timeout=10s;
    server 10.0.0.6:8086 max_fails=3 fail_timeout=10s;
}

server {
    listen 203.0.113.10:80 default_server;
    listen 10.0.0.2:80 default_server;
    server_name _;

    location / {
        return 404;
    }
}

server {
    listen 203.0.113.10:80;
    listen 10.0.0.2:80;
    server_name grafana.example.com;

    location / {
        proxy_pass http://docker_grafana;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
}
`,
    );
  });

  it('never renders an empty upstream: a declared, routed or kept service without instances gets a placeholder', () => {
    const options = gatewayRenderOptions({
      domain: DOMAIN,
      upstreams: ['api'],
      upstreamOptions: ['*:keepalive=0', 'old:balance=ip_hash'],
    });
    const text = renderUpstreams(snapshotFromRecords(DOMAIN, []).snapshot, options, ['old']);
    assert.equal(
      text,
      `${HEADER}
upstream rundock_api {
    server 127.0.0.1:1 down;  # no instance of api announced
}

upstream rundock_old {
    ip_hash;
    server 127.0.0.1:1 down;  # no instance of old announced
}
`,
    );
  });

  it('with --only-routed, renders the routed and declared services only: a change of another one changes nothing', () => {
    const only = (upstreams: string[], routes: string[]): string[] =>
      planUpstreams(reference(), gatewayRenderOptions({ domain: DOMAIN, upstreams, routes, onlyRouted: true })).map(
        (p) => `${p.service}:${p.instances.length}`,
      );
    assert.deepEqual(only([], ['grafana.example.com=grafana']), ['grafana:1']);
    assert.deepEqual(only(['influxdb', 'api'], []), ['api:0', 'influxdb:2']);
    const all = planUpstreams(reference(), gatewayRenderOptions({ domain: DOMAIN }));
    assert.deepEqual(
      all.map((p) => p.service),
      ['grafana', 'influxdb'],
      'without it, every service of the domain',
    );
  });

  it('writes IPv6 addresses in brackets and keepalive_timeout/keepalive_requests when set', () => {
    const { snapshot } = snapshotFromRecords(DOMAIN, [
      [recordKey(DOMAIN, 'web-ui', 'h1'), encodeRecord({ host: '2001:db8::5', port: 8080 })],
    ]);
    const options = gatewayRenderOptions({
      domain: DOMAIN,
      upstreamOptions: ['web-ui:keepalive_timeout=30s', 'web-ui:keepalive_requests=500', 'web-ui:balance=random'],
    });
    assert.equal(
      renderUpstreams(snapshot, options),
      `${HEADER}
upstream rundock_web_ui {
    random;
    server [2001:db8::5]:8080;
    keepalive 32;
    keepalive_timeout 30s;
    keepalive_requests 500;
}
`,
    );
  });

  it('is deterministic: the same records in any order give the same text', () => {
    const entries: [string, string][] = [
      [recordKey(DOMAIN, 'a', 'h2'), encodeRecord({ host: '10.0.0.2', port: 1 })],
      [recordKey(DOMAIN, 'a', 'h1'), encodeRecord({ host: '10.0.0.1', port: 1 })],
      [recordKey(DOMAIN, 'b', 'h1'), encodeRecord({ host: '10.0.0.1', port: 2 })],
    ];
    const options = gatewayRenderOptions({ domain: DOMAIN });
    const forward = renderUpstreams(snapshotFromRecords(DOMAIN, entries).snapshot, options);
    const backward = renderUpstreams(snapshotFromRecords(DOMAIN, [...entries].reverse()).snapshot, options);
    assert.equal(forward, backward);
  });
});

describe('renderUpstreams with --nginx-resolve (nginx >= 1.27.3)', () => {
  it('renders zone + resolver + server service= resolve, one shared zone sized on the first upstream', () => {
    const options = gatewayRenderOptions({
      domain: DOMAIN,
      upstreams: ['grafana=docker_grafana'],
      resolve: '127.0.0.1:8053',
      upstreamOptions: ['*:max_fails=2', 'influxdb:balance=least_conn'],
    });
    assert.equal(
      renderUpstreams(reference(), options),
      `${HEADER}
upstream docker_grafana {
    zone rundock_upstreams 256k;
    resolver 127.0.0.1:8053;
    server prod.example.com service=grafana.s resolve max_fails=2;
    keepalive 32;
}

upstream rundock_influxdb {
    least_conn;
    zone rundock_upstreams;
    resolver 127.0.0.1:8053;
    server prod.example.com service=influxdb.s resolve max_fails=2;
    keepalive 32;
}
`,
    );
  });

  it('does not depend on instances: adding one changes nothing (no reload needed)', () => {
    const options = gatewayRenderOptions({ domain: DOMAIN, resolve: '127.0.0.1:8053' });
    const one = snapshotFromRecords(DOMAIN, [
      [recordKey(DOMAIN, 'grafana', 'a'), encodeRecord({ host: '10.0.0.5', port: 1 })],
    ]).snapshot;
    const two = snapshotFromRecords(DOMAIN, [
      [recordKey(DOMAIN, 'grafana', 'a'), encodeRecord({ host: '10.0.0.5', port: 1 })],
      [recordKey(DOMAIN, 'grafana', 'b'), encodeRecord({ host: '10.0.0.6', port: 2 })],
    ]).snapshot;
    assert.equal(renderUpstreams(one, options), renderUpstreams(two, options));
  });
});

describe('memoizedUpstreamText', () => {
  it('renders as renderUpstream, and renders a service again only when it gets another instances array', () => {
    const options = gatewayRenderOptions({ domain: DOMAIN });
    const memo = memoizedUpstreamText();
    const [grafana, influxdb] = planUpstreams(reference(), options);
    assert.ok(grafana !== undefined && influxdb !== undefined);
    assert.equal(memo(grafana), renderUpstream(grafana));
    assert.equal(memo(influxdb), renderUpstream(influxdb));
    // The same array again is not rendered again (the gateway's view never changes an array it handed out).
    (grafana.instances as unknown as { port: number }[])[0]!.port = 9999;
    assert.match(memo(grafana), /server 10\.0\.0\.5:8087;/);
    const changed = { ...grafana, instances: [...grafana.instances] };
    assert.match(memo(changed), /server 10\.0\.0\.5:9999;/);
    assert.equal(
      renderUpstreams(reference(), options, [], flagServers(options), memo),
      renderUpstreams(reference(), options),
    );
  });
});
