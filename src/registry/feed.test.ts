import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FanOutFeed, type FeedState, type ZoneSink } from './feed.js';

/** A consumer: its own copy of the records and every state it was told, in order. */
function consumer(): ZoneSink & { records: Map<string, string>; states: FeedState[] } {
  const records = new Map<string, string>();
  return {
    records,
    states: [],
    replaceAll: (entries) => (records.clear(), [...entries].forEach(([k, v]) => records.set(k, v))),
    put: (k, v) => void records.set(k, v),
    delete: (k) => void records.delete(k),
  };
}

function follow(feed: FanOutFeed): ReturnType<typeof consumer> & { unsubscribe: () => void } {
  const c = consumer();
  const unsubscribe = feed.subscribe(c, (s) => c.states.push(s));
  return Object.assign(c, { unsubscribe });
}

describe('FanOutFeed', () => {
  it('passes every change and every state to each subscriber', () => {
    const feed = new FanOutFeed('/skydns/test/');
    const [a, b] = [follow(feed), follow(feed)];
    feed.replaceAll([['/skydns/test/web/h1', '1']]);
    feed.setState('watching');
    feed.put('/skydns/test/web/h2', '2');
    feed.delete('/skydns/test/web/h1');
    feed.setState('disconnected');
    for (const c of [a, b]) {
      assert.deepEqual([...c.records], [['/skydns/test/web/h2', '2']]);
      assert.deepEqual(c.states, ['loading', 'watching', 'disconnected']);
    }
  });

  it('a late subscriber gets the current view and state at once, then the changes', () => {
    const feed = new FanOutFeed('/skydns/test/');
    feed.replaceAll([
      ['/skydns/test/web/h1', '1'],
      ['/skydns/test/web/h2', '2'],
    ]);
    feed.setState('watching');
    feed.put('/skydns/test/web/h3', '3');
    const late = follow(feed);
    assert.equal(late.records.size, 3);
    assert.deepEqual(late.states, ['watching']);
    feed.delete('/skydns/test/web/h2');
    assert.deepEqual([...late.records.keys()], ['/skydns/test/web/h1', '/skydns/test/web/h3']);
  });

  it('a subscriber before the first load gets the state only (no empty view passed as loaded)', () => {
    const feed = new FanOutFeed('/skydns/test/');
    let replaced = 0;
    feed.subscribe({ replaceAll: () => replaced++, put: () => undefined, delete: () => undefined }, () => undefined);
    assert.equal(replaced, 0);
  });

  it('an unsubscribed consumer hears nothing more; status counts the subscribers', () => {
    const feed = new FanOutFeed('/skydns/test/', () => 42);
    const [a, b] = [follow(feed), follow(feed)];
    assert.equal(feed.status().subscribers, 2);
    a.unsubscribe();
    feed.put('/skydns/test/web/h1', '1');
    assert.equal(a.records.size, 0);
    assert.equal(b.records.size, 1);
    const status = { prefix: '/skydns/test/', state: 'loading', records: 1, revision: 42, subscribers: 1 };
    assert.deepEqual(feed.status(), status);
  });

  it('a subscriber that throws is reported, and the others still get the change', () => {
    const errors: unknown[] = [];
    const feed = new FanOutFeed(
      '/skydns/test/',
      () => 0,
      (error) => errors.push(error),
    );
    const fail = (): never => {
      throw new Error('bad consumer');
    };
    feed.subscribe({ replaceAll: fail, put: fail, delete: fail }, () => undefined);
    const good = follow(feed);
    feed.put('/skydns/test/web/h1', '1');
    assert.equal(good.records.size, 1);
    assert.equal(errors.length, 1);
  });
});
