import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressOf, preferred } from './etcd-client.js';

const take = <T>(generator: Generator<T>, n: number): T[] =>
  Array.from({ length: n }, () => generator.next().value as T);

describe('preferred endpoint order', () => {
  it('puts rank 0 (local members) first in their given order, every round', () => {
    const rank = (e: string): number => (e.startsWith('local') ? 0 : 1);
    const order = take(
      preferred(['a', 'local-1', 'b', 'local-2'], rank, () => 0.5),
      8,
    );
    assert.deepEqual(order.slice(0, 2), ['local-1', 'local-2']);
    assert.deepEqual(order.slice(4, 6), ['local-1', 'local-2']);
    assert.deepEqual(new Set(order.slice(2, 4)), new Set(['a', 'b']));
  });

  it('shuffles endpoints of equal rank above 0, and re-ranks each round', () => {
    let distrusted = false;
    const rank = (e: string): number => (e === 'local' ? (distrusted ? 2 : 0) : 1);
    const random = [0.9, 0.1, 0.2, 0.1, 0.9, 0.5];
    const generator = preferred(['local', 'a', 'b'], rank, () => random.shift() ?? 0);
    assert.deepEqual(take(generator, 3), ['local', 'b', 'a']);
    distrusted = true;
    assert.deepEqual(take(generator, 3), ['a', 'b', 'local']);
  });
});

describe('addressOf', () => {
  it('takes the address part of an etcd3 host', () => {
    assert.equal(addressOf('10.77.0.11:2379'), '10.77.0.11');
    assert.equal(addressOf('[::1]:2379'), '::1');
    assert.equal(addressOf('LocalHost:2379'), 'localhost');
    assert.equal(addressOf('etcd-1'), 'etcd-1');
  });
});
