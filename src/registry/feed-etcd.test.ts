import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { viewBehind } from './feed-etcd.js';

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
