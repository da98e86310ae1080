/**
 * Turns a burst of registry changes into one render: the task runs once changes have been quiet for `minQuietMs`,
 * or `maxWaitMs` after the first unhandled change, whichever comes first. One run at a time: a change during a run
 * is kept and makes one more run after it, so no change is ever dropped.
 */

import { settledOrAborted } from '../shared/abort.js';

/** When a debounced run starts. */
export interface DebounceOptions {
  /** Quiet time after the last change, ms (default 200). */
  readonly minQuietMs: number;
  /** Longest delay after the first unhandled change, ms (default 2000), so a steady stream still renders. */
  readonly maxWaitMs: number;
}

/** 200 ms of quiet, at most 2 s: above nginx's 100 ms pause between reloads, well under the 2 s a change may take. */
export const DEFAULT_DEBOUNCE: DebounceOptions = Object.freeze({ minQuietMs: 200, maxWaitMs: 2000 });

/** Time source and timers; tests pass fakes. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Debounces `task`; a task that throws is reported to `onError` and counts as a finished run. */
export class Debouncer {
  private firstChange: number | undefined;
  private lastChange = 0;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly o: DebounceOptions = DEFAULT_DEBOUNCE,
    private readonly clock: Clock = realClock,
  ) {}

  /** Something changed: run the task soon. */
  trigger(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    this.firstChange ??= now;
    this.lastChange = now;
    this.arm();
  }

  /** True while a change waits for a run or a run is under way. */
  get busy(): boolean {
    return this.firstChange !== undefined || this.running !== undefined;
  }

  /** Resolves once no change is waiting and no run is under way. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Drops waiting changes and waits for a run under way to finish, or until `signal` aborts: the caller has then
   * told the run to give up (the gateway kills the nginx it runs), and stops waiting for it.
   */
  async stop(signal?: AbortSignal): Promise<void> {
    this.stopped = true;
    this.firstChange = undefined;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running !== undefined) await settledOrAborted(this.running, signal);
    this.notifyIdle();
  }

  private arm(): void {
    if (this.running !== undefined || this.firstChange === undefined) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    const due = Math.min(this.lastChange + this.o.minQuietMs, this.firstChange + this.o.maxWaitMs);
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, due - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stopped || this.running !== undefined) return;
    this.firstChange = undefined;
    this.running = this.runTask().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.firstChange !== undefined) this.arm();
      else this.notifyIdle();
    });
  }

  private async runTask(): Promise<void> {
    try {
      await this.task();
    } catch (error) {
      this.onError(error);
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
