import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pageModel, serverForm } from './page-model.js';
import { clusterView } from './records.js';
import { backRecord, DOMAIN, entries, frontRecord } from './records-fixture.js';

describe('pageModel', () => {
  it('shows hosts, services, their DNS names and the gateways serving them, exactly', () => {
    const model = pageModel(`${DOMAIN}.`, clusterView(DOMAIN, entries()));
    assert.deepEqual(model, {
      domain: 's.prod.example.com',
      hosts: [
        {
          host: 'node-back-1',
          addresses: { public: null, private: '10.0.0.5' },
          version: '0.1.0',
          startedAt: '2026-11-28T09:12:44.417Z',
          services: [
            {
              service: 'grafana',
              container: '9c1d0e6f3b2a',
              image: 'grafana:local',
              state: 'running',
              health: 'healthy',
              restarts: 0,
              successor: false,
              announced: true,
              reason: 'running and healthy',
              address: '10.0.0.5:8087',
              dnsNames: ['grafana.s.prod.example.com', 'node-back-1.grafana.s.prod.example.com'],
              gateways: ['node-front-1'],
              routes: ['grafana.example.com'],
            },
            {
              service: 'influxdb',
              container: '3f2a7b9c0d1e',
              image: '127.0.0.1:5000/influxdb:latest',
              state: 'running',
              health: 'healthy',
              restarts: 0,
              successor: false,
              announced: true,
              reason: 'running and healthy',
              address: '10.0.0.5:8086',
              dnsNames: ['influxdb.s.prod.example.com', 'node-back-1.influxdb.s.prod.example.com'],
              gateways: [],
              routes: [],
            },
          ],
        },
        {
          host: 'node-front-1',
          addresses: { public: '203.0.113.10', private: '10.0.0.2' },
          version: '0.1.0',
          startedAt: '2026-11-28T09:10:01.000Z',
          services: [],
        },
      ],
      gateways: [
        {
          host: 'node-front-1',
          revision: 42,
          appliedAt: '2026-11-28T09:12:45.001Z',
          services: 2,
          servers: 1,
          certificates: [
            {
              hostname: 'grafana.example.com',
              source: 'acme',
              state: 'valid',
              serial: '55F5494FCB92B9E1',
              notAfter: '2027-02-26T09:12:44.000Z',
            },
          ],
        },
      ],
      otherRecords: [{ name: 'www.s.prod.example.com', host: 'node-front-1', target: '203.0.113.10' }],
      skipped: [],
    });
  });

  it('gives an unannounced service no address, DNS name or gateway, even if a stale record or report lists it', () => {
    const back = backRecord([
      { announced: false, reason: 'health check: unhealthy', health: 'unhealthy', address: undefined },
    ]);
    const stale: [string, string][] = [
      ...entries(back),
      ['/skydns/com/example/prod/s/grafana/node-back-1', '{"host":"10.0.0.5","port":8087,"ttl":10}'],
    ];
    const grafana = pageModel(DOMAIN, clusterView(DOMAIN, stale)).hosts[0]?.services[0];
    assert.deepEqual(
      { address: grafana?.address, gateways: grafana?.gateways, reason: grafana?.reason },
      { address: null, gateways: [], reason: 'health check: unhealthy' },
    );
    // The DNS record is there (it answers), so its names are shown: the page tells what DNS does.
    assert.deepEqual(grafana?.dnsNames, ['grafana.s.prod.example.com', 'node-back-1.grafana.s.prod.example.com']);
  });

  it('skips unreadable records by key, and a host record filed under another host name', () => {
    const view = clusterView(DOMAIN, [
      ['/rundock/hosts/node-a', '{not json'],
      ['/rundock/hosts/node-b', JSON.stringify(frontRecord)],
      ['/rundock/hosts/Node_C', JSON.stringify({ ...frontRecord, host: 'Node_C' })],
      ['/rundock/gateways/gw-1', '{"host":"gw-1","revision":"7","applied_at":"x","services":{}}'],
      ['/skydns/com/example/prod/s/web/node-a', '{"host":"10.0.0.256","port":80}'],
      ['/skydns/com/example/other/web/node-a', '{"host":"10.0.0.1","port":80}'],
      ['/rundock/something-else', 'x'],
    ]);
    assert.deepEqual(pageModel(DOMAIN, view), {
      domain: DOMAIN,
      hosts: [],
      gateways: [],
      otherRecords: [],
      skipped: [
        '/rundock/gateways/gw-1',
        '/rundock/hosts/Node_C',
        '/rundock/hosts/node-a',
        '/rundock/hosts/node-b',
        '/skydns/com/example/prod/s/web/node-a',
      ],
    });
  });

  it('a redeploy overlapping the old container: the successor has its own record, names and gateways', () => {
    const back = backRecord();
    const old = back.services[0];
    assert.ok(old);
    const next = {
      ...old,
      container: `ffff${old.container.slice(4)}`,
      address: '10.0.0.5:31000',
      successor: true as const,
    };
    back.services.unshift(next); // the agent may list it first: the page puts it after the current one
    const all: [string, string][] = [
      ...entries(back).filter(([key]) => !key.startsWith('/rundock/gateways/')),
      ['/skydns/com/example/prod/s/grafana/node-back-1/ffff0e6f3b2a', '{"host":"10.0.0.5","port":31000,"ttl":10}'],
      [
        '/rundock/gateways/node-front-1',
        JSON.stringify({
          host: 'node-front-1',
          revision: 43,
          applied_at: 'x',
          services: { grafana: ['10.0.0.5:31000'] },
        }),
      ],
    ];
    const rows = pageModel(DOMAIN, clusterView(DOMAIN, all)).hosts[0]?.services ?? [];
    assert.deepEqual(
      rows.map((r) => [r.container, r.successor, r.address, r.dnsNames, r.gateways]),
      [
        [
          '9c1d0e6f3b2a',
          false,
          '10.0.0.5:8087',
          ['grafana.s.prod.example.com', 'node-back-1.grafana.s.prod.example.com'],
          [],
        ],
        [
          'ffff0e6f3b2a',
          true,
          '10.0.0.5:31000',
          [
            'grafana.s.prod.example.com',
            'node-back-1.grafana.s.prod.example.com',
            'ffff0e6f3b2a.node-back-1.grafana.s.prod.example.com',
          ],
          ['node-front-1'],
        ],
        [
          '3f2a7b9c0d1e',
          false,
          '10.0.0.5:8086',
          ['influxdb.s.prod.example.com', 'node-back-1.influxdb.s.prod.example.com'],
          [],
        ],
      ],
    );
  });

  it('matches an IPv6 address to the bracketed form gateways report', () => {
    assert.equal(serverForm('fd00::5:8086'), '[fd00::5]:8086');
    assert.equal(serverForm('10.0.0.5:8086'), '10.0.0.5:8086');
  });

  it('sends no field the host record does not have: an extra field written by someone is dropped', () => {
    const back = { ...backRecord(), token: 'hunter2' } as ReturnType<typeof backRecord>;
    const first = back.services[0];
    if (first) Object.assign(first, { env: ['DB_PASSWORD=hunter2'], labels: { secret: 'hunter2' } });
    const text = JSON.stringify(pageModel(DOMAIN, clusterView(DOMAIN, entries(back))));
    assert.equal(text.includes('hunter2'), false, text);
  });
});
