import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstAnswer } from './etcd-members.js';

const later = <T>(ms: number, value: T, fail = false): Promise<T> =>
  new Promise((resolve, reject) => setTimeout(() => (fail ? reject(new Error(String(value))) : resolve(value)), ms));

describe('firstAnswer (hedged requests over the members)', () => {
  it('asks the first member alone when it answers within the hedge', async () => {
    const asked: number[] = [];
    const r = await firstAnswer([2, 0, 1], (i) => (asked.push(i), later(5, `m${i}`)), 50);
    assert.deepEqual(r, { value: 'm2', index: 2 });
    assert.deepEqual(asked, [2]);
  });

  it('asks the next member after the hedge, and takes whichever answers first', async () => {
    const asked: number[] = [];
    const r = await firstAnswer([0, 1], (i) => (asked.push(i), later(i === 0 ? 400 : 5, `m${i}`)), 20);
    assert.deepEqual(r, { value: 'm1', index: 1 });
    assert.deepEqual(asked, [0, 1]);
  });

  it('moves on at once when a member fails, without waiting for the hedge', async () => {
    const started = Date.now();
    const r = await firstAnswer([0, 1], (i) => (i === 0 ? later(1, 'no leader', true) : later(1, 'ok')), 1000);
    assert.deepEqual(r, { value: 'ok', index: 1 });
    assert.ok(Date.now() - started < 500);
  });

  it('rejects with the last error once every member failed', async () => {
    await assert.rejects(
      firstAnswer([0, 1, 2], (i) => later(1, `down ${i}`, true), 10),
      /down 2/,
    );
    await assert.rejects(
      firstAnswer([], () => later(1, 'x'), 10),
      /no etcd member/,
    );
  });
});
