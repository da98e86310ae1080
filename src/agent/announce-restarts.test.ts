/** decideAnnouncements with restart_unhealthy: what the host record and `rundock ps` say of the agent's restarts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAnnouncements, type AnnounceSettings, type InstanceFacts } from './announce.js';
import type { ServiceStatus } from '../registry/host-record.js';

const settings: AnnounceSettings = {
  domain: 's.prod.example.com',
  host: 'node-back-1',
  addresses: { private: '10.0.0.2' },
  ttl: 10,
  stableMs: 10_000,
  crashLoop: { restarts: 3, windowMs: 60_000 },
  version: '0.1.0',
  startedAt: '2026-11-28T00:00:00.000Z',
};
const NOW = Date.parse('2026-11-28T12:00:00Z');
const LABELS = {
  service: 'web',
  specHash: 'h',
  image: 'web:1',
  announce: 80,
  port: 80,
  announceAs: 'private',
} as const;

function statusOf(over: Partial<InstanceFacts>): ServiceStatus | undefined {
  const facts: InstanceFacts = {
    id: 'c1',
    labels: { ...LABELS, restartUnhealthy: 3 },
    running: true,
    restarting: false,
    restartCount: 0,
    startedAt: NOW - 60_000,
    dockerHealth: 'healthy',
    ...over,
  };
  return decideAnnouncements([facts], settings, NOW).statuses[0];
}

describe('decideAnnouncements with restart_unhealthy', () => {
  it('shows no restarts yet for a healthy service, and nothing at all without restart_unhealthy', () => {
    assert.deepEqual(statusOf({}), {
      service: 'web',
      container: 'c1',
      image: 'web:1',
      state: 'running',
      health: 'healthy',
      restarts: 0,
      unhealthy_restarts: 0,
      announced: true,
      reason: 'running and healthy',
      address: '10.0.0.2:80',
    });
    assert.equal('unhealthy_restarts' in (statusOf({ labels: LABELS }) ?? {}), false);
  });

  it('counts failed checks towards the restart, unannounced', () => {
    const status = statusOf({
      dockerHealth: 'unhealthy',
      unhealthyRestarts: { failures: 2, threshold: 3, count: 0, restarting: false },
    });
    assert.equal(status?.announced, false);
    assert.equal(status?.reason, 'health check: unhealthy (2 of 3 failed checks before the agent restarts it)');
  });

  it('says a restart is under way, then when the next one is due, with the count and the last one', () => {
    const lastAt = NOW - 5000;
    const restarting = statusOf({
      dockerHealth: 'unhealthy',
      unhealthyRestarts: { failures: 3, threshold: 3, count: 1, lastAt: NOW, restarting: true },
    });
    assert.equal(restarting?.reason, 'health check: unhealthy (the agent restarts it: 3 failed checks in a row)');
    const backoff = statusOf({
      probeHealth: 'unhealthy',
      dockerHealth: undefined,
      labels: { ...LABELS, restartUnhealthy: 3, probe: undefined },
      unhealthyRestarts: { failures: 4, threshold: 3, count: 2, lastAt, restarting: false, nextAt: NOW + 15_000 },
    });
    assert.deepEqual(
      [backoff?.reason, backoff?.unhealthy_restarts, backoff?.last_unhealthy_restart],
      [
        'probe: unhealthy (restarted 2 times by the agent; next restart at 2026-11-28T12:00:15Z)',
        2,
        '2026-11-28T11:59:55.000Z',
      ],
    );
  });

  it('announces a container the agent restarted after it had served once healthy; one that failed soon after start once stable', () => {
    const restarted = { failures: 0, threshold: 3, count: 1, lastAt: NOW - 3000, restarting: false };
    const runs = (lastRunMs: number): InstanceFacts['runs'] => ({
      startedAt: NOW - 3000,
      restartCount: 0,
      agentRestarts: 1,
      restarts: [NOW - 3000],
      lastRunMs,
    });
    const served = statusOf({ startedAt: NOW - 3000, unhealthyRestarts: restarted, runs: runs(600_000) });
    assert.deepEqual([served?.announced, served?.reason], [true, 'running and healthy']);
    const young = statusOf({ startedAt: NOW - 3000, unhealthyRestarts: restarted, runs: runs(4000) });
    assert.deepEqual(
      [young?.announced, young?.reason],
      [false, 'crash loop: restarted after 4 s up (under --stable-after 10 s); held back until 2026-11-28T12:00:07Z'],
    );
  });
});
