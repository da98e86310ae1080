import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAnnouncements, type AnnounceSettings, type InstanceFacts, selfAnnouncement } from './announce.js';

const settings: AnnounceSettings = {
  domain: 's.prod.example.com',
  host: 'node-back-1',
  addresses: { public: '203.0.113.10', private: '10.0.0.2' },
  ttl: 10,
  stableMs: 10_000,
  version: '0.1.0',
  startedAt: '2026-11-28T00:00:00.000Z',
};
const NOW = Date.parse('2026-11-28T12:00:00Z');
const KEY = '/skydns/com/example/prod/s/influxdb/node-back-1';

function facts(over: Partial<InstanceFacts> = {}): InstanceFacts {
  return {
    id: 'c1',
    labels: { service: 'influxdb', specHash: 'h', image: 'i', announce: 8086, port: 8086, announceAs: 'private' },
    running: true,
    restarting: false,
    restartCount: 0,
    startedAt: NOW - 60_000,
    ...over,
  };
}

function recordOf(instances: InstanceFacts[], s = settings): Record<string, unknown> | undefined {
  const text = decideAnnouncements(instances, s, NOW).records.get(KEY);
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

describe('decideAnnouncements', () => {
  it('announces a running service on the private address with its announce port, in the SkyDNS layout', () => {
    assert.deepEqual(recordOf([facts()]), { host: '10.0.0.2', port: 8086, ttl: 10 });
  });

  it('announces public, and container with the container address and port', () => {
    assert.equal(recordOf([facts({ labels: { ...facts().labels, announceAs: 'public' } })])?.host, '203.0.113.10');
    const container = facts({
      labels: { ...facts().labels, announceAs: 'container', announce: undefined, port: 80 },
      containerIp: '172.17.0.5',
    });
    assert.deepEqual(recordOf([container]), { host: '172.17.0.5', port: 80, ttl: 10 });
  });

  it('a stopped auto-port container is "not running", not "no port published" (a stopped container binds nothing)', () => {
    const auto = { ...facts().labels, announce: 'auto' as const, port: 8080 };
    const reason = (over: Partial<InstanceFacts>): string | undefined =>
      decideAnnouncements([facts({ labels: auto, published: [], ...over })], settings, NOW).statuses[0]?.reason;
    assert.equal(reason({ running: false }), 'not running');
    assert.match(reason({}) ?? '', /^no port published on 10\.0\.0\.2 for 8080\/tcp/);
  });

  it('writes priority and weight when configured', () => {
    assert.deepEqual(recordOf([facts()], { ...settings, priority: 10, weight: 5 }), {
      host: '10.0.0.2',
      port: 8086,
      ttl: 10,
      priority: 10,
      weight: 5,
    });
  });

  const withdrawn: [string, Partial<InstanceFacts>, RegExp][] = [
    ['stopped', { running: false }, /not running/],
    ['restarting', { running: false, restarting: true, restartCount: 3 }, /restarting/],
    ['starting health check', { dockerHealth: 'starting' }, /health check: starting/],
    ['unhealthy', { dockerHealth: 'unhealthy' }, /health check: unhealthy/],
    ['probe not yet passed', { probeHealth: 'unknown' }, /probe: unknown/],
    ['probe failing', { probeHealth: 'unhealthy' }, /probe: unhealthy/],
    [
      'restarted and not yet stable',
      { restartCount: 2, startedAt: NOW - 3_000, dockerHealth: 'healthy' },
      /restarted 2 times/,
    ],
    ['just started without any health evidence', { startedAt: NOW - 3_000 }, /no health check or probe/],
  ];
  for (const [what, over, reason] of withdrawn) {
    it(`does not announce a ${what} container and says why`, () => {
      const decided = decideAnnouncements([facts(over)], settings, NOW);
      assert.equal(decided.records.has(KEY), false);
      assert.match(decided.statuses[0]?.reason ?? '', reason);
      assert.equal(decided.statuses[0]?.announced, false);
    });
  }

  it('a healthy check or probe announces a fresh container at once', () => {
    assert.ok(recordOf([facts({ startedAt: NOW - 100, dockerHealth: 'healthy' })]));
    assert.ok(recordOf([facts({ startedAt: NOW - 100, probeHealth: 'healthy' })]));
  });

  it('a Docker health check wins over the probe', () => {
    assert.ok(recordOf([facts({ dockerHealth: 'healthy', probeHealth: 'unhealthy' })]));
  });

  it('announces a restarted container once it has been up for the stable time, and asks to be re-run then', () => {
    const decided = decideAnnouncements([facts({ restartCount: 1, startedAt: NOW - 4_000 })], settings, NOW);
    assert.equal(decided.recheckAt, NOW + 6_000);
    assert.ok(recordOf([facts({ restartCount: 1, startedAt: NOW - 10_000 })]));
  });

  it('always writes the host record with every service and why it is or is not announced', () => {
    const decided = decideAnnouncements(
      [facts(), facts({ id: 'c2', labels: { ...facts().labels, service: 'grafana' }, running: false })],
      settings,
      NOW,
    );
    const host = JSON.parse(decided.records.get('/rundock/hosts/node-back-1') ?? '{}') as {
      services: { service: string; announced: boolean }[];
    };
    assert.deepEqual(
      host.services.map((s) => [s.service, s.announced]),
      [
        ['grafana', false],
        ['influxdb', true],
      ],
    );
  });

  it('announces the host itself under --announce-self with its public address, apart from its records', () => {
    assert.deepEqual(selfAnnouncement(settings, 'www', '203.0.113.10'), {
      key: '/skydns/com/example/prod/s/www/node-back-1',
      value: '{"host":"203.0.113.10","ttl":10}',
    });
    assert.equal(
      decideAnnouncements([], settings, NOW).records.has('/skydns/com/example/prod/s/www/node-back-1'),
      false,
    );
  });
});
