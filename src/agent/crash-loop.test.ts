import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clock, crashLoopHold, noteRun, seconds, type CrashLoopRule, type RunHistory } from './crash-loop.js';

const RULE: CrashLoopRule = { restarts: 3, windowMs: 60_000, stableMs: 10_000 };
const T0 = Date.parse('2026-12-07T12:00:00Z');
const at = (s: number): number => T0 + s * 1000;

/** The history after a fresh container (started at T0) is seen, then each of `runs` ([start s, end of the run before s, Docker's count]). */
function historyOf(runs: [start: number, endedBefore: number, restartCount: number][], agent = 0): RunHistory {
  let h = noteRun(undefined, { startedAt: T0, restartCount: 0, agentRestarts: 0 }, RULE, T0);
  for (const [start, ended, restartCount] of runs)
    h = noteRun(
      h,
      { startedAt: at(start), finishedAt: at(ended), restartCount, agentRestarts: agent },
      RULE,
      at(start),
    );
  return h;
}

describe('noteRun', () => {
  it('a fresh container has no restarts; one Docker restarted before the agent saw it has one, of an unseen run', () => {
    assert.deepEqual(noteRun(undefined, { startedAt: T0, restartCount: 0, agentRestarts: 0 }, RULE, at(1)), {
      startedAt: T0,
      restartCount: 0,
      agentRestarts: 0,
      restarts: [],
    });
    const seen = noteRun(undefined, { startedAt: T0, restartCount: 4, agentRestarts: 0 }, RULE, at(1));
    assert.deepEqual([seen.restarts, seen.lastRunMs], [[T0], undefined]);
    assert.deepEqual(
      noteRun(undefined, { startedAt: T0, restartCount: 4, agentRestarts: 0 }, RULE, at(61)).restarts,
      [],
    );
  });

  it("counts a policy restart at the new run's start, with the length of the run before it", () => {
    const h = historyOf([[30.5, 30, 1]]);
    assert.deepEqual(h, {
      startedAt: at(30.5),
      restartCount: 1,
      agentRestarts: 0,
      restarts: [at(30.5)],
      lastRunMs: 30_000,
    });
  });

  it("counts the agent's restart (restart_unhealthy), although Docker resets its count then", () => {
    const first = noteRun(undefined, { startedAt: T0, restartCount: 2, agentRestarts: 0 }, RULE, at(100));
    // The agent counts its restart when it decides it, before the new run: nothing changes until the run does.
    assert.equal(noteRun(first, { startedAt: T0, restartCount: 2, agentRestarts: 1 }, RULE, at(101)), first);
    const h = noteRun(
      first,
      { startedAt: at(102), finishedAt: at(101.5), restartCount: 0, agentRestarts: 1 },
      RULE,
      at(102),
    );
    assert.deepEqual([h.restarts, h.lastRunMs], [[at(102)], 101_500]);
  });

  it('a start asked for (Docker resets its count, the agent did not restart it) begins a new history', () => {
    const looping = historyOf([
      [2, 1, 1],
      [4, 3, 2],
    ]);
    const h = noteRun(looping, { startedAt: at(9), finishedAt: at(8), restartCount: 0, agentRestarts: 0 }, RULE, at(9));
    assert.deepEqual(h, { startedAt: at(9), restartCount: 0, agentRestarts: 0, restarts: [] });
  });

  it('restarts missed between two looks all count, at the new start, and the run before is unknown', () => {
    const h = historyOf([[20, 19, 3]]);
    assert.deepEqual([h.restarts, h.lastRunMs], [[at(20), at(20), at(20)], undefined]);
  });

  it('keeps only the restarts within the window', () => {
    const h = historyOf([
      [20, 19, 1],
      [70, 69, 2],
      [90, 89, 3],
    ]);
    assert.deepEqual(h.restarts, [at(70), at(90)]);
  });
});

describe('crashLoopHold', () => {
  it('never holds a container that was not restarted', () => {
    assert.equal(crashLoopHold(historyOf([]), RULE, at(1)), undefined);
    assert.equal(crashLoopHold(undefined, RULE, at(1)), undefined);
  });

  it('a single crash after a run of at least --stable-after: no hold (announced on its first passing check)', () => {
    assert.equal(crashLoopHold(historyOf([[30.1, 30, 1]]), RULE, at(30.2)), undefined);
  });

  it('a crash after a shorter run: held until up for --stable-after, saying so', () => {
    assert.deepEqual(crashLoopHold(historyOf([[1.2, 1, 1]]), RULE, at(2)), {
      until: at(11.2),
      reason: 'crash loop: restarted after 1 s up (under --stable-after 10 s); held back until 2026-12-07T12:00:12Z',
    });
    assert.equal(crashLoopHold(historyOf([[1.2, 1, 1]]), RULE, at(11.2)), undefined, 'up for 10 s: no longer held');
  });

  it('a restart of a run the agent did not see (it started after it): held until up for --stable-after', () => {
    const seen = noteRun(undefined, { startedAt: at(5), restartCount: 1, agentRestarts: 0 }, RULE, at(6));
    assert.deepEqual(crashLoopHold(seen, RULE, at(6)), {
      until: at(15),
      reason: 'crash loop: restarted after a run the agent did not see; held back until 2026-12-07T12:00:15Z',
    });
    const long = noteRun(undefined, { startedAt: at(5), restartCount: 1, agentRestarts: 0 }, RULE, at(40));
    assert.equal(crashLoopHold(long, RULE, at(40)), undefined, 'up long since');
  });

  it('the 3rd restart within 60 s holds it until the first of them leaves the window, whatever the runs', () => {
    const h = historyOf([
      [12, 11.9, 1],
      [25, 24.9, 2],
      [38, 37.9, 3],
    ]);
    assert.equal(
      crashLoopHold(
        historyOf([
          [12, 11.9, 1],
          [25, 24.9, 2],
        ]),
        RULE,
        at(25.1),
      ),
      undefined,
      'two: not yet',
    );
    assert.deepEqual(crashLoopHold(h, RULE, at(38.1)), {
      until: at(72),
      reason: 'crash loop: 3 restarts in 60 s (--crash-loop-restarts 3); held back until 2026-12-07T12:01:12Z',
    });
    assert.equal(crashLoopHold(h, RULE, at(72)), undefined, 'two left in the window, the last run long enough');
  });

  it('--crash-loop-restarts 1: every restart holds it back for the window', () => {
    const one = { ...RULE, restarts: 1 };
    const h = noteRun(
      noteRun(undefined, { startedAt: T0, restartCount: 0, agentRestarts: 0 }, one, T0),
      { startedAt: at(100), finishedAt: at(99), restartCount: 1, agentRestarts: 0 },
      one,
      at(100),
    );
    assert.deepEqual(crashLoopHold(h, one, at(101))?.until, at(160));
  });
});

describe('reason texts', () => {
  it('durations and times as reasons say them', () => {
    assert.deepEqual(
      [seconds(1200), seconds(10_000), seconds(60_000), seconds(300_000), seconds(90_000)],
      ['1.2 s', '10 s', '60 s', '5 min', '90 s'],
    );
    assert.equal(clock(at(1.2)), '2026-12-07T12:00:02Z', 'rounded up: the hold has ended by then');
  });
});
