import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Debouncer, type Clock } from './debounce.js';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements Clock {
  time = 0;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward in 1 ms steps, firing due timers and letting promises settle. */
  async advance(ms: number): Promise<void> {
    for (let i = 0; i < ms; i++) {
      this.time++;
      for (const [id, timer] of [...this.timers]) {
        if (timer.at > this.time) continue;
        this.timers.delete(id);
        timer.callback();
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

function setup(taskMs = 0): { clock: FakeClock; debouncer: Debouncer; runs: number[] } {
  const clock = new FakeClock();
  const runs: number[] = [];
  const task = async (): Promise<void> => {
    runs.push(clock.now());
    const until = clock.now() + taskMs;
    while (clock.now() < until) await new Promise((resolve) => setImmediate(resolve));
  };
  const debouncer = new Debouncer(
    task,
    (error) => assert.fail(String(error)),
    { minQuietMs: 200, maxWaitMs: 2000 },
    clock,
  );
  return { clock, debouncer, runs };
}

describe('Debouncer', () => {
  it('runs once after a burst, when changes have been quiet for the minimum', async () => {
    const { clock, debouncer, runs } = setup();
    for (let i = 0; i < 10; i++) {
      debouncer.trigger();
      await clock.advance(50);
    }
    await clock.advance(300);
    assert.deepEqual(runs, [650]);
  });

  it('runs at the maximum wait when changes never stop', async () => {
    const { clock, debouncer, runs } = setup();
    for (let i = 0; i < 50; i++) {
      debouncer.trigger();
      await clock.advance(100);
    }
    assert.deepEqual(runs, [2000, 4000]);
  });

  it('never drops a change that arrives during a run: one more run follows it', async () => {
    const { clock, debouncer, runs } = setup(500);
    debouncer.trigger();
    await clock.advance(300); // run started at 200, lasts until 700
    debouncer.trigger();
    debouncer.trigger();
    await clock.advance(1000);
    assert.deepEqual(runs, [200, 701]); // right after the first run ends (the next timer tick)
    assert.equal(debouncer.busy, false);
  });

  it('reports a failing task and keeps going', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    let calls = 0;
    const debouncer = new Debouncer(
      async () => {
        calls++;
        throw new Error('boom');
      },
      (error) => errors.push(error),
      { minQuietMs: 10, maxWaitMs: 100 },
      clock,
    );
    debouncer.trigger();
    await clock.advance(20);
    debouncer.trigger();
    await clock.advance(20);
    assert.equal(calls, 2);
    assert.equal(errors.length, 2);
  });

  it('idle() resolves once nothing waits; stop() drops waiting changes', async () => {
    const { clock, debouncer, runs } = setup();
    debouncer.trigger();
    let idle = false;
    void debouncer.idle().then(() => (idle = true));
    await clock.advance(250);
    assert.equal(idle, true);
    debouncer.trigger();
    await debouncer.stop();
    await clock.advance(500);
    assert.deepEqual(runs, [200]);
  });
});
