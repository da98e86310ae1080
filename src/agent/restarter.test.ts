import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { InstanceFacts } from './announce.js';
import { AgentMetrics } from './metrics.js';
import { UnhealthyRestarter } from './restarter.js';

const NOW = Date.parse('2026-11-28T12:00:00Z');

function failing(streak: number, over: Partial<InstanceFacts> = {}): InstanceFacts {
  return {
    id: 'c1',
    labels: { service: 'web', specHash: 'h', image: 'web:1', announceAs: 'private', restartUnhealthy: 3 },
    running: true,
    restarting: false,
    restartCount: 0,
    startedAt: NOW - 60_000,
    dockerHealth: 'unhealthy',
    failingStreak: streak,
    healthIntervalMs: 20,
    ...over,
  };
}

/** A restarter whose I/O the test records; `restart` resolves when the test says so. */
function subject(): {
  restarter: UnhealthyRestarter;
  calls: string[];
  finish: () => void;
  metrics: AgentMetrics;
} {
  const calls: string[] = [];
  let finish = (): void => undefined;
  const metrics = new AgentMetrics();
  const restarter = new UnhealthyRestarter({
    restart: (id) => (calls.push(`restart ${id}`), new Promise<void>((resolve) => (finish = resolve))),
    refresh: (id) => void calls.push(`refresh ${id}`),
    reconcile: () => void calls.push('reconcile'),
    log: pino({ level: 'silent' }),
    metrics,
  });
  return { restarter, calls, finish: () => finish(), metrics };
}

describe('UnhealthyRestarter', () => {
  it('inspects a failing container at its check interval, restarts it once N checks failed, then looks again', async () => {
    const { restarter, calls, finish, metrics } = subject();
    const two = failing(2);
    restarter.consider([two], NOW);
    assert.deepEqual(two.unhealthyRestarts, {
      failures: 2,
      threshold: 3,
      count: 0,
      lastAt: undefined,
      restarting: false,
      nextAt: undefined,
    });
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(calls, ['refresh c1'], 'polled at the 20 ms interval');
    const three = failing(3);
    restarter.consider([three], NOW + 1000);
    restarter.consider([failing(4)], NOW + 1100);
    assert.deepEqual(calls, ['refresh c1', 'restart c1'], 'one restart, while it is under way nothing more');
    assert.equal(three.unhealthyRestarts?.restarting, true);
    finish();
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(calls.at(-1), 'refresh c1');
    assert.match(
      await metrics.registry.metrics(),
      /rundock_agent_unhealthy_restarts_total\{service="web",outcome="ok"\} 1/,
    );
    const after = failing(3);
    restarter.consider([after], NOW + 2000);
    assert.deepEqual(after.unhealthyRestarts?.nextAt, NOW + 1000 + 10_000, 'the second restart waits out the backoff');
    restarter.stop();
  });

  it('leaves alone a service without restart_unhealthy, and one that has no check', () => {
    const { restarter, calls } = subject();
    const plain = failing(9, { labels: { service: 'web', specHash: 'h', image: 'web:1', announceAs: 'private' } });
    const unchecked = failing(0, { dockerHealth: undefined, failingStreak: undefined });
    restarter.consider([plain, unchecked], NOW);
    assert.deepEqual(calls, []);
    assert.deepEqual([plain.unhealthyRestarts, unchecked.unhealthyRestarts], [undefined, undefined]);
    restarter.stop();
  });
});
