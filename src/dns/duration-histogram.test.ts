import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { DurationHistogram } from './duration-histogram.js';

describe('DurationHistogram', () => {
  it('counts a batch of equal durations as that many observations', async () => {
    const registry = new Registry();
    const histogram = new DurationHistogram('test_seconds', 'a test', [0.001, 0.01], registry);
    histogram.observe(0.0005);
    histogram.observeMany(0.005, 3);
    histogram.observeMany(1, 2);
    const text = await registry.metrics();
    assert.match(text, /^test_seconds_bucket\{le="0.001"\} 1$/m);
    assert.match(text, /^test_seconds_bucket\{le="0.01"\} 4$/m);
    assert.match(text, /^test_seconds_bucket\{le="\+Inf"\} 6$/m);
    assert.match(text, /^test_seconds_sum 2.0155$/m);
    assert.match(text, /^test_seconds_count 6$/m);
  });
});
