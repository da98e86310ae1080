import assert from 'node:assert/strict';
import { it } from 'node:test';
import { closest, editDistance } from './suggest.js';

it('suggests the known name a typo is closest to, and nothing for another word', () => {
  assert.equal(editDistance('anounce', 'announce'), 1);
  assert.equal(editDistance('imgae', 'image'), 1, 'a transposition is one edit');
  assert.equal(closest('anounce', ['announce', 'port', 'image']), 'announce');
  assert.equal(closest('helth', ['health', 'probe']), 'health');
  assert.equal(closest('volumes', ['announce', 'port', 'image']), undefined);
});
