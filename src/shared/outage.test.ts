import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Outage } from './outage.js';

describe('an outage', () => {
  it('starts at its first failure, keeps the latest reason (first line) and the count, ends once', () => {
    let now = 5000;
    const outage = new Outage(() => now);
    assert.equal(outage.ok, true);
    assert.equal(outage.fail(new Error('connection refused\n    at stack')), true);
    now += 2000;
    assert.equal(outage.fail('no leader'), false);
    assert.deepEqual([outage.ok, outage.since, outage.reason, outage.failures], [false, 5000, 'no leader', 2]);
    assert.deepEqual(outage.status(), {
      ok: false,
      since: new Date(5000).toISOString(),
      reason: 'no leader',
      failures: 2,
    });
    now += 500;
    assert.equal(outage.end(), 2500);
    assert.equal(outage.end(), undefined);
    assert.deepEqual([outage.ok, outage.reason, outage.failures], [true, undefined, 0]);
    assert.deepEqual(outage.status(), { ok: true });
  });
});
