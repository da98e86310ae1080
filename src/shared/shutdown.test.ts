import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { stopSignal, stopWithin, type StopStep } from './shutdown.js';

/** A logger whose lines the test reads. */
function capture(): { log: pino.Logger; lines: () => { msg: string; step?: string; unfinished?: string[] }[] } {
  const out: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk.toString()), done()) });
  return { log: pino({ level: 'debug' }, sink), lines: () => out.map((l) => JSON.parse(l) as { msg: string }) };
}

const noExit = (): void => undefined;

describe('stopWithin', () => {
  it('runs every step in order, logs the failed one, and ends with one stopped line', async () => {
    const { log, lines } = capture();
    const ran: string[] = [];
    const step = (name: string, fail = false): StopStep => ({
      name,
      run: () => {
        ran.push(name);
        if (fail) throw new Error(`${name} broke`);
      },
    });
    const unfinished = await stopWithin([step('a'), step('b', true), step('c')], { log, budgetMs: 1000, exit: noExit });
    assert.deepEqual(ran, ['a', 'b', 'c']);
    assert.deepEqual(unfinished, ['b']);
    assert.deepEqual(
      lines().map((l) => l.msg),
      ['b: failed', 'stopped'],
    );
    assert.deepEqual(lines()[1]?.unfinished, ['b']);
  });

  it('aborts the signal when the budget is spent, and leaves a step behind that does not return', async () => {
    const { log, lines } = capture();
    let aborted = false;
    const started = Date.now();
    const honours: StopStep = {
      name: 'withdraw',
      run: (signal) =>
        new Promise<void>((_, reject) =>
          signal.addEventListener('abort', () => ((aborted = true), reject(new Error('abandoned')))),
        ),
    };
    const ignores: StopStep = { name: 'stuck', run: () => new Promise<void>(() => undefined) };
    let late: AbortSignal | undefined;
    const after: StopStep = { name: 'close', run: (signal) => void (late = signal) };
    const unfinished = await stopWithin([honours, ignores, after], { log, budgetMs: 100, exit: noExit });
    const elapsed = Date.now() - started;
    assert.equal(aborted, true);
    assert.equal(late?.aborted, true, 'a step after the budget still runs, with the signal aborted');
    assert.deepEqual(unfinished, ['withdraw', 'stuck']);
    assert.ok(elapsed < 100 + 250 + 50 + 100, `took ${elapsed} ms`);
    assert.deepEqual(
      lines().map((l) => l.msg),
      ['withdraw: failed', "stuck: not done within the stop's 100 ms", 'stopped'],
    );
  });
});

describe('stopSignal', () => {
  it('resolves with the first signal; a second one exits at once with status 0', async () => {
    const { log, lines } = capture();
    const exits: number[] = [];
    const before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
    const first = stopSignal(log, (code) => exits.push(code));
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await first, 'SIGTERM');
    assert.deepEqual(exits, []);
    process.emit('SIGINT', 'SIGINT');
    assert.deepEqual(exits, [0]);
    assert.match(lines()[0]?.msg ?? '', /second signal: exiting at once/);
    for (const signal of ['SIGTERM', 'SIGINT'] as const)
      for (const listener of process.listeners(signal))
        if (!before[signal].includes(listener)) process.off(signal, listener);
  });
});
