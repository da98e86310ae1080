import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAnnouncements, type AnnounceSettings, type InstanceFacts, selfAnnouncement } from './announce.js';

const settings: AnnounceSettings = {
  domain: 's.prod.example.com',
  host: 'node-back-1',
  addresses: { public: '203.0.113.10', private: '10.0.0.2' },
  ttl: 10,
  stableMs: 10_000,
  crashLoop: { restarts: 3, windowMs: 60_000 },
  version: '0.1.0',
  startedAt: '2026-11-28T00:00:00.000Z',
};
const NOW = Date.parse('2026-11-28T12:00:00Z');
const KEY = '/skydns/com/example/prod/s/influxdb/node-back-1';
/** Restarted 3 s ago after a run of 1 s. */
const looping = { startedAt: NOW - 3_000, restartCount: 2, agentRestarts: 0, restarts: [NOW - 3_000], lastRunMs: 1000 };

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
      'crash-looping',
      { restartCount: 2, startedAt: NOW - 3_000, dockerHealth: 'healthy', runs: looping },
      /^crash loop: restarted after 1 s up/,
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

  it('announces a container without health evidence once up for the stable time, and asks to be re-run then', () => {
    const decided = decideAnnouncements([facts({ restartCount: 1, startedAt: NOW - 4_000 })], settings, NOW);
    assert.equal(decided.recheckAt, NOW + 6_000);
    assert.deepEqual(
      [decided.statuses[0]?.reason, decided.statuses[0]?.held_until],
      ['no health check or probe; announced once up for 10 s, at 2026-11-28T12:00:06Z', '2026-11-28T12:00:06Z'],
    );
    assert.ok(recordOf([facts({ restartCount: 1, startedAt: NOW - 10_000 })]));
  });

  it('a single crash of a container that served: announced again on its first passing check', () => {
    const runs = { startedAt: NOW - 500, restartCount: 1, agentRestarts: 0, restarts: [NOW - 500], lastRunMs: 600_000 };
    const restarted = { restartCount: 1, startedAt: NOW - 500, runs };
    assert.match(
      decideAnnouncements([facts({ ...restarted, dockerHealth: 'starting' })], settings, NOW).statuses[0]?.reason ?? '',
      /^health check: starting$/,
    );
    assert.ok(recordOf([facts({ ...restarted, dockerHealth: 'healthy' })]));
    assert.ok(recordOf([facts({ ...restarted, probeHealth: 'healthy' })]));
    const unchecked = decideAnnouncements([facts(restarted)], settings, NOW).statuses[0];
    assert.match(
      unchecked?.reason ?? '',
      /^no health check or probe; announced once up for 10 s/,
      'no evidence: uptime',
    );
  });

  it('a crash loop is held back with the rule, until when, and a re-run then, though its check passes', () => {
    const decided = decideAnnouncements(
      [facts({ dockerHealth: 'healthy', runs: looping, startedAt: NOW - 3000 })],
      settings,
      NOW,
    );
    assert.equal(decided.records.has(KEY), false);
    assert.deepEqual(decided.statuses[0], {
      service: 'influxdb',
      container: 'c1',
      image: 'i',
      state: 'running',
      health: 'healthy',
      restarts: 0,
      announced: false,
      reason: 'crash loop: restarted after 1 s up (under --stable-after 10 s); held back until 2026-11-28T12:00:07Z',
      held_until: '2026-11-28T12:00:07Z',
    });
    assert.equal(decided.recheckAt, NOW + 7_000);
    const three = { ...looping, restarts: [NOW - 50_000, NOW - 30_000, NOW - 3_000], lastRunMs: 20_000 };
    const loop = decideAnnouncements([facts({ dockerHealth: 'healthy', runs: three })], settings, NOW).statuses[0];
    assert.equal(
      loop?.reason,
      'crash loop: 3 restarts in 60 s (--crash-loop-restarts 3); held back until 2026-11-28T12:00:10Z',
    );
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

describe('decideAnnouncements: route records', () => {
  const routed = { ...facts().labels, routes: ['influx.example.com'] };
  const ROUTES = '/rundock/routes/node-back-1/influxdb';

  it('are written with the announcement and go with it; the host record lists the routes either way', () => {
    const up = decideAnnouncements([facts({ labels: routed })], settings, NOW);
    assert.match(up.records.get(ROUTES) ?? '', /"route":"influx\.example\.com"/);
    assert.deepEqual(up.statuses[0]?.routes, ['influx.example.com']);
    const down = decideAnnouncements([facts({ labels: routed, running: false })], settings, NOW);
    assert.equal(down.records.has(ROUTES), false);
    assert.equal(down.records.has(KEY), false);
    assert.deepEqual(down.statuses[0]?.routes, ['influx.example.com']);
  });
});
