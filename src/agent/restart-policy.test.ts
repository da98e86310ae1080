import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backoffAfter,
  decideRestart,
  NO_RESTARTS,
  restartDone,
  UNHEALTHY_BACKOFF,
  type HealthSeen,
  type RestartDecision,
  type RestartMemory,
} from './restart-policy.js';

const failing = (failures: number): HealthSeen => ({ running: true, healthy: false, failures });
const HEALTHY: HealthSeen = { running: true, healthy: true, failures: 0 };
const STOPPED: HealthSeen = { running: false, healthy: false, failures: 0 };

/** A fake clock and the policy's memory, driven through a sequence of observations. */
class Run {
  now = 1_000_000;
  memory: RestartMemory = NO_RESTARTS;
  constructor(private readonly threshold: number) {}
  see(seen: HealthSeen): RestartDecision {
    const { memory, decision } = decideRestart(this.memory, seen, this.threshold, this.now);
    this.memory = decision.kind === 'restart' ? restartDone(memory) : memory;
    return decision;
  }
  advance(ms: number): this {
    this.now += ms;
    return this;
  }
}

describe('decideRestart', () => {
  it('restarts after N failed checks in a row, not before, and at once the first time', () => {
    const run = new Run(3);
    assert.deepEqual(run.see(failing(1)), { kind: 'none' });
    assert.deepEqual(run.see(failing(2)), { kind: 'none' });
    assert.deepEqual(run.see(failing(3)), { kind: 'restart' });
    assert.deepEqual(run.memory, { streak: 1, total: 1, lastAt: 1_000_000, inFlight: false });
  });

  it('waits while a restart is in flight', () => {
    const { memory } = decideRestart(NO_RESTARTS, failing(5), 3, 0);
    assert.equal(memory.inFlight, true);
    assert.deepEqual(decideRestart(memory, failing(9), 3, 60_000).decision, { kind: 'none' });
  });

  it('backs off exponentially between restarts that keep failing: 10 s, 20 s, 40 s, ... capped at 5 min', () => {
    const run = new Run(1);
    assert.deepEqual(run.see(failing(1)), { kind: 'restart' });
    const restartsAt: number[] = [0];
    const start = run.now;
    for (let second = 1; second <= 1200; second++) {
      run.advance(1000);
      const decision = run.see(failing(1));
      if (decision.kind === 'restart') restartsAt.push((run.now - start) / 1000);
      else assert.equal(decision.kind, 'wait');
    }
    assert.deepEqual(
      restartsAt,
      [0, 10, 30, 70, 150, 310, 610, 910, 1210].filter((t) => t <= 1200),
    );
    assert.equal(run.memory.total, restartsAt.length);
  });

  it('says until when it waits', () => {
    const run = new Run(2);
    run.see(failing(2));
    run.advance(3000);
    assert.deepEqual(run.see(failing(2)), { kind: 'wait', until: 1_000_000 + 10_000 });
  });

  it('resets the backoff once the container stayed healthy for 5 minutes, not before', () => {
    const run = new Run(1);
    run.see(failing(1));
    run.advance(10_000).see(failing(1));
    assert.equal(run.memory.streak, 2);
    run.advance(1000).see(HEALTHY);
    run.advance(UNHEALTHY_BACKOFF.resetAfterMs - 1).see(HEALTHY);
    assert.deepEqual(run.see(failing(1)), { kind: 'restart' });
    assert.equal(run.memory.streak, 3, 'healthy for less than 5 minutes: the backoff goes on');
    const third = run.now;
    assert.deepEqual(run.advance(1000).see(failing(1)), { kind: 'wait', until: third + 40_000 });
    run.see(HEALTHY);
    run.advance(UNHEALTHY_BACKOFF.resetAfterMs).see(HEALTHY);
    assert.deepEqual(run.see(failing(1)), { kind: 'restart' });
    assert.deepEqual([run.memory.streak, run.memory.total], [1, 4]);
  });

  it('a failure in between starts the healthy time over', () => {
    const run = new Run(3);
    run.see(failing(3));
    run.advance(1000).see(HEALTHY);
    run.advance(200_000).see(failing(1));
    run.advance(1000).see(HEALTHY);
    run.advance(200_000);
    assert.deepEqual(run.see(failing(3)), { kind: 'restart' }, 'the 10 s backoff since the last restart is long over');
    assert.equal(run.memory.streak, 2, 'not reset: never healthy for 5 minutes in one stretch');
  });

  it('does nothing for a stopped container, and forgets its healthy time', () => {
    const run = new Run(1);
    run.see(HEALTHY);
    assert.deepEqual(run.see(STOPPED), { kind: 'none' });
    assert.equal(run.memory.healthySince, undefined);
  });
});

describe('backoffAfter', () => {
  it('is none for the first restart, then 10 s doubling to the 5 min cap', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 40].map((n) => backoffAfter(n)),
      [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000],
    );
  });
});
