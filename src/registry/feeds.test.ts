import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { EmbeddedRegistry } from './embedded.js';
import type { FeedState, ZoneSink } from './feed.js';
import { ProcessFeeds } from './feeds.js';
import { domainPrefix, recordKey } from './path.js';

const DOMAIN = 's.feeds.test';
const log = pino({ level: 'silent' });

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rundock-feeds-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A sink that keeps the records it was given, and the last state. */
function view(): ZoneSink & { records: Map<string, string>; state: FeedState | undefined } {
  const records = new Map<string, string>();
  return {
    records,
    state: undefined,
    replaceAll: (entries) => (records.clear(), [...entries].forEach(([k, v]) => records.set(k, v))),
    put: (k, v) => void records.set(k, v),
    delete: (k) => void records.delete(k),
  };
}

describe('ProcessFeeds (over the embedded registry)', () => {
  it('hands out one feed per prefix, shared by every consumer, each getting the records', async () => {
    const registry = new EmbeddedRegistry({ stateDir: join(dir, 'shared') });
    const key = recordKey(DOMAIN, 'web', 'node-1');
    await registry.sync(new Map([[key, '{"host":"10.0.0.1"}']]));
    const feeds = new ProcessFeeds({ source: { embedded: registry }, log });
    const [dns, gateway] = await Promise.all([feeds.feed(domainPrefix(DOMAIN)), feeds.feed(domainPrefix(DOMAIN))]);
    assert.equal(dns, gateway, 'the same feed');
    const [a, b] = [view(), view()];
    dns.subscribe(a, (s) => (a.state = s));
    gateway.subscribe(b, (s) => (b.state = s));
    assert.deepEqual([...b.records.keys()], [key], 'a late subscriber starts from the view');
    assert.equal(b.state, 'watching');
    await registry.sync(new Map());
    assert.equal(a.records.size + b.records.size, 0, 'a change reaches both');
    await feeds.feed('/rundock/');
    const status = feeds.status();
    assert.deepEqual(
      status.map(({ prefix, state, subscribers }) => ({ prefix, state, subscribers })),
      [
        { prefix: domainPrefix(DOMAIN), state: 'watching', subscribers: 2 },
        { prefix: '/rundock/', state: 'watching', subscribers: 0 },
      ],
    );
    await feeds.stop();
  });

  it('runs until the process stops its feeds: a consumer leaving does not stop it, stop() does', async () => {
    const registry = new EmbeddedRegistry({ stateDir: join(dir, 'stop') });
    const feeds = new ProcessFeeds({ source: { embedded: registry }, log });
    const feed = await feeds.feed(domainPrefix(DOMAIN));
    const first = view();
    feed.subscribe(first, () => undefined)();
    const key = recordKey(DOMAIN, 'web', 'node-2');
    await registry.sync(new Map([[key, '{"host":"10.0.0.2"}']]));
    assert.equal(feed.status().records, 1, 'still following with no subscriber');
    const next = view();
    feed.subscribe(next, () => undefined);
    assert.deepEqual([...next.records.keys()], [key]);
    await feeds.stop();
    await registry.sync(new Map());
    assert.equal(next.records.size, 1, 'a stopped feed passes nothing on: consumers keep their last view');
    await assert.rejects(feeds.feed(domainPrefix(DOMAIN)), /stopped/);
  });
});
