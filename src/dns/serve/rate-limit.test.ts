import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipv4Text, RateLimiter } from './rate-limit.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function decisions(limiter: RateLimiter, address: string, count: number): Record<string, number> {
  const tally: Record<string, number> = { answer: 0, drop: 0, slip: 0 };
  for (let i = 0; i < count; i++) tally[limiter.check(address)]! += 1;
  return tally;
}

describe('RateLimiter', () => {
  it('answers a burst up to its size, then drops, sending every second limited query TC=1', () => {
    const c = clock();
    const limiter = new RateLimiter({ perSecond: 10, burst: 20 }, c.now);
    assert.deepEqual(decisions(limiter, '10.0.0.1', 30), { answer: 20, drop: 5, slip: 5 });
  });

  it('refills at the rate: one second later, rate more answers', () => {
    const c = clock();
    const limiter = new RateLimiter({ perSecond: 10, burst: 20 }, c.now);
    decisions(limiter, '10.0.0.1', 30);
    c.advance(1000);
    assert.equal(decisions(limiter, '10.0.0.1', 30).answer, 10);
  });

  it('limits each address on its own: a busy client never starves another', () => {
    const c = clock();
    const limiter = new RateLimiter({ perSecond: 5 }, c.now);
    decisions(limiter, '10.0.0.1', 100);
    assert.equal(decisions(limiter, '10.0.0.2', 10).answer, 10);
  });

  it('limits IPv6 clients per /64 and IPv4-mapped addresses as IPv4', () => {
    const c = clock();
    const limiter = new RateLimiter({ perSecond: 1, burst: 2, slip: 0 }, c.now);
    assert.deepEqual(decisions(limiter, '2001:db8:1:2::1', 1), { answer: 1, drop: 0, slip: 0 });
    assert.deepEqual(decisions(limiter, '2001:db8:1:2:ffff::9', 2), { answer: 1, drop: 1, slip: 0 });
    assert.equal(decisions(limiter, '2001:db8:1:3::1', 2).answer, 2);
    decisions(limiter, '10.0.0.7', 2);
    assert.equal(decisions(limiter, '::ffff:10.0.0.7', 1).drop, 1);
  });

  it('never limits exempt prefixes, and 0 turns the limit off', () => {
    const c = clock();
    const limiter = new RateLimiter({ perSecond: 1, exempt: ['127.0.0.0/8', '::1', '192.0.2.7'] }, c.now);
    assert.equal(decisions(limiter, '127.0.0.2', 50).answer, 50);
    assert.equal(decisions(limiter, '::1', 50).answer, 50);
    assert.equal(decisions(limiter, '192.0.2.7', 50).answer, 50);
    assert.equal(decisions(new RateLimiter({ perSecond: 0 }, c.now), '10.0.0.1', 50).answer, 50);
    assert.throws(
      () => new RateLimiter({ perSecond: 1, exempt: ['10.0.0.0/33'] }),
      /10\.0\.0\.0\/33 is not an address/,
    );
  });

  it('decides the same for an IPv4 address given as a number (batched UDP), exempt prefixes included', () => {
    const c = clock();
    const options = { perSecond: 10, burst: 20, exempt: ['127.0.0.0/8'] };
    const byText = new RateLimiter(options, c.now);
    const byNumber = new RateLimiter(options, c.now);
    const tally = (address: number): Record<string, number> => {
      const counts: Record<string, number> = { answer: 0, drop: 0, slip: 0 };
      for (let i = 0; i < 30; i++) counts[byNumber.checkIPv4(address)]! += 1;
      return counts;
    };
    assert.equal(ipv4Text(0x0a000001), '10.0.0.1');
    assert.deepEqual(tally(0x0a000001), decisions(byText, '10.0.0.1', 30));
    assert.deepEqual(tally(0x0a000001), { answer: 0, drop: 15, slip: 15 });
    c.advance(1000);
    assert.deepEqual(tally(0x0a000001), decisions(byText, '10.0.0.1', 30));
    assert.deepEqual(tally(0x7f000002), { answer: 30, drop: 0, slip: 0 }, '127.0.0.2 is exempt');
    assert.deepEqual(tally(0x0a000002), { answer: 20, drop: 5, slip: 5 }, 'another client, its own bucket');
  });

  it('bounds its memory: past maxClients new clients share one bucket, and quiet clients are forgotten', () => {
    const c = clock();
    const limiter = new RateLimiter({ perSecond: 1, burst: 1, maxClients: 3 }, c.now);
    for (let i = 1; i <= 10; i++) limiter.check(`10.0.1.${i}`);
    assert.equal(limiter.clients, 4); // three clients and the shared overflow bucket
    c.advance(11_000);
    limiter.check('10.0.2.1');
    assert.equal(limiter.clients, 1);
  });
});
