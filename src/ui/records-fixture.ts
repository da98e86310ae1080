/** Registry entries of the reference cluster, for the UI's unit tests. */
import type { HostRecord } from '../registry/host-record.js';

export const DOMAIN = 's.prod.example.com';
export const INFLUX_ID = '3f2a7b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a';
export const GRAFANA_ID = '9c1d0e6f3b2a4c5d8e7f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5';

/** The backend's host record, typed as the agent writes it, so a change there that the UI cannot read fails here. */
export function backRecord(overrides: Partial<HostRecord['services'][number]>[] = []): HostRecord {
  const services: HostRecord['services'] = [
    {
      service: 'grafana',
      container: GRAFANA_ID,
      image: 'grafana:local',
      state: 'running',
      health: 'healthy',
      restarts: 0,
      announced: true,
      reason: 'running and healthy',
      address: '10.0.0.5:8087',
      routes: ['grafana.example.com'],
    },
    {
      service: 'influxdb',
      container: INFLUX_ID,
      image: '127.0.0.1:5000/influxdb:latest',
      state: 'running',
      health: 'healthy',
      restarts: 0,
      announced: true,
      reason: 'running and healthy',
      address: '10.0.0.5:8086',
    },
  ];
  return {
    host: 'node-back-1',
    addresses: { private: '10.0.0.5' },
    version: '0.1.0',
    started_at: '2026-11-28T09:12:44.417Z',
    services: services.map((s, i) => ({ ...s, ...overrides[i] })),
  };
}

export const frontRecord: HostRecord = {
  host: 'node-front-1',
  addresses: { public: '203.0.113.10', private: '10.0.0.2' },
  version: '0.1.0',
  started_at: '2026-11-28T09:10:01.000Z',
  services: [],
};

/** Every entry of the reference cluster: host records, DNS records (announced ones and --announce-self), a gateway report. */
export function entries(back: HostRecord = backRecord()): [string, string][] {
  const dns = back.services
    .filter((s) => s.announced)
    .map((s): [string, string] => {
      const [host, port] = (s.address ?? '').split(':');
      return [`/skydns/com/example/prod/s/${s.service}/${back.host}`, `{"host":"${host}","port":${port},"ttl":10}`];
    });
  return [
    [`/rundock/hosts/${back.host}`, JSON.stringify(back)],
    ['/rundock/hosts/node-front-1', JSON.stringify(frontRecord)],
    ...dns,
    ['/skydns/com/example/prod/s/www/node-front-1', '{"host":"203.0.113.10","ttl":10}'],
    [
      '/rundock/gateways/node-front-1',
      JSON.stringify({
        host: 'node-front-1',
        revision: 42,
        applied_at: '2026-11-28T09:12:45.001Z',
        services: { grafana: ['10.0.0.5:8087'], influxdb: [] },
        certificates: [
          {
            hostname: 'grafana.example.com',
            source: 'acme',
            state: 'valid',
            serial: '55F5494FCB92B9E1',
            not_after: '2027-02-26T09:12:44.000Z',
          },
        ],
      }),
    ],
  ];
}
