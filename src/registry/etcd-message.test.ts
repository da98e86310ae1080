import assert from 'node:assert/strict';
import { it } from 'node:test';
import { plainEtcdReason } from './etcd-message.js';

it('says why etcd cannot be reached in one phrase, without gRPC internals', () => {
  const refused = new Error(
    '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 10.0.0.5:2379. Resolution note: ',
  );
  assert.equal(plainEtcdReason(refused), 'connection refused at 10.0.0.5:2379 (is etcd running there?)');
  assert.equal(plainEtcdReason(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded')), 'no answer in time');
  assert.equal(
    plainEtcdReason(new Error('Execution prevented because the circuit breaker is open')),
    'it failed repeatedly and requests are paused for a few seconds',
  );
  assert.equal(
    plainEtcdReason(new Error('14 UNAVAILABLE: something new. Resolution note: x')),
    'something new',
    'an unknown text loses only the internals',
  );
});
