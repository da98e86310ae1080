import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyChanges, chunk, markUnknown, planSync, type Written } from './diff.js';

describe('planSync', () => {
  it('puts what is new or changed, deletes what is no longer wanted, and nothing else', () => {
    const written: Written = new Map([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
    const desired = new Map([
      ['a', '1'],
      ['b', '20'],
      ['d', '4'],
    ]);
    assert.deepEqual(planSync(desired, written), [
      { op: 'put', key: 'b', value: '20' },
      { op: 'put', key: 'd', value: '4' },
      { op: 'delete', key: 'c' },
    ]);
    assert.deepEqual(planSync(new Map(written as Map<string, string>), written), []);
  });

  it('writes unknown keys again: put when wanted, deleted when not', () => {
    const written: Written = new Map([
      ['a', '1'],
      ['b', '2'],
    ]);
    markUnknown(written, [
      { op: 'put', key: 'a', value: '1' },
      { op: 'delete', key: 'b' },
    ]);
    assert.deepEqual(planSync(new Map([['a', '1']]), written), [
      { op: 'put', key: 'a', value: '1' },
      { op: 'delete', key: 'b' },
    ]);
    applyChanges(written, planSync(new Map([['a', '1']]), written));
    assert.deepEqual(written, new Map([['a', '1']]));
  });
});

describe('chunk', () => {
  it('splits into parts of at most the given size', () => {
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(chunk([], 128), []);
  });
});
