import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { viewBehind, watchCheck } from './feed-etcd.js';

describe('viewBehind', () => {
  it('is false when the view has seen the newest put and holds as many keys', () => {
    assert.equal(viewBehind({ count: 3, revision: 40 }, { count: 3, newestModRevision: 38 }), false);
    assert.equal(viewBehind({ count: 0, revision: 7 }, { count: 0, newestModRevision: 0 }), false);
  });

  it('is true for a put the view has not seen', () => {
    assert.equal(viewBehind({ count: 3, revision: 40 }, { count: 3, newestModRevision: 41 }), true);
  });

  it('is true for a delete the view has not seen (the count differs)', () => {
    assert.equal(viewBehind({ count: 3, revision: 40 }, { count: 2, newestModRevision: 38 }), true);
  });
});

describe('watchCheck', () => {
  it('leaves a watch heard from within the period alone', () => {
    assert.equal(watchCheck(10_500, 10_000, undefined, 1000), 'none');
    assert.equal(watchCheck(10_999, 10_000, undefined, 1000), 'none');
  });

  it('asks a watch silent for a period for progress, once', () => {
    assert.equal(watchCheck(11_000, 10_000, undefined, 1000), 'ask');
    assert.equal(watchCheck(11_250, 10_000, 11_000, 1000), 'none');
  });

  it('verifies a watch that left the question unanswered for half a period, at every check after', () => {
    assert.equal(watchCheck(11_499, 10_000, 11_000, 1000), 'none');
    assert.equal(watchCheck(11_500, 10_000, 11_000, 1000), 'verify');
    assert.equal(watchCheck(15_000, 10_000, 11_000, 1000), 'verify');
  });
});
