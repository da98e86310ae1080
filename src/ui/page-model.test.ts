import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pageModel } from './page-model.js';
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
              announced: true,
              reason: 'running and healthy',
              address: '10.0.0.5:8087',
              dnsNames: ['grafana.s.prod.example.com', 'node-back-1.grafana.s.prod.example.com'],
              gateways: [{ gateway: 'node-front-1', upstream: 'docker_grafana' }],
            },
            {
              service: 'influxdb',
              container: '3f2a7b9c0d1e',
              image: '127.0.0.1:5000/influxdb:latest',
              state: 'running',
              health: 'healthy',
              restarts: 0,
              announced: true,
              reason: 'running and healthy',
              address: '10.0.0.5:8086',
              dnsNames: ['influxdb.s.prod.example.com', 'node-back-1.influxdb.s.prod.example.com'],
              gateways: [],
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
        { host: 'node-front-1', revision: 42, appliedAt: '2026-11-28T09:12:45.001Z', upstreams: 2, servers: 1 },
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
      ['/rundock/gateways/gw-1', '{"host":"gw-1","revision":"7","applied_at":"x","upstreams":{}}'],
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

  it('sends no field the host record does not have: an extra field written by someone is dropped', () => {
    const back = { ...backRecord(), token: 'hunter2' } as ReturnType<typeof backRecord>;
    const first = back.services[0];
    if (first) Object.assign(first, { env: ['DB_PASSWORD=hunter2'], labels: { secret: 'hunter2' } });
    const text = JSON.stringify(pageModel(DOMAIN, clusterView(DOMAIN, entries(back))));
    assert.equal(text.includes('hunter2'), false, text);
  });
});
