import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dueAt, failed, renewAt } from './schedule.js';

const DAY = 86_400_000;
const issued = { not_before: '2026-01-01T00:00:00.000Z', not_after: '2026-04-01T00:00:00.000Z' }; // 90 days

describe('ACME schedule', () => {
  it('renews two thirds into the lifetime: day 60 of a 90-day certificate', () => {
    assert.equal(renewAt(issued), Date.parse('2026-01-01T00:00:00.000Z') + 60 * DAY);
  });

  it('orders at once without a certificate, at renewAt with one, never before a retry', () => {
    const now = Date.parse('2026-01-10T00:00:00.000Z');
    assert.equal(dueAt(undefined, undefined, now), now);
    assert.equal(dueAt(issued, undefined, now), renewAt(issued));
    assert.equal(dueAt(undefined, { failures: 1, nextAttemptAt: now + 5000 }, now), now + 5000);
  });

  it('backs off after failures: about the base first, doubling, never above the max', () => {
    const retry = { baseMs: 30_000, maxMs: 120_000 };
    let state = failed(undefined, 'no', 0, retry);
    assert.equal(state.failures, 1);
    assert.ok((state.nextAttemptAt ?? 0) >= 15_000 && (state.nextAttemptAt ?? 0) <= 30_000);
    for (let i = 0; i < 10; i++) state = failed(state, 'no', 0, retry);
    assert.equal(state.failures, 11);
    assert.ok((state.nextAttemptAt ?? 0) <= 120_000 && (state.nextAttemptAt ?? 0) >= 60_000);
    assert.equal(state.lastError, 'no');
  });
});
