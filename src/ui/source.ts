/**
 * Where the UI's records come from: the process's feeds (registry/feeds.ts) of the domain's /skydns subtree and of
 * /rundock/ (host records, gateway reports). In an agent, the first is the one DNS and the gateway follow too.
 */
import type { FeedProvider, FeedState } from '../registry/feed.js';
import { domainPrefix } from '../registry/path.js';
import type { UiHub } from './hub.js';
import { RUNDOCK_PREFIX } from './records.js';

/** Follows both prefixes into `hub`; resolves once their first loads were attempted, to the function that stops. */
export async function followUiFeeds(feeds: FeedProvider, domain: string, hub: UiHub): Promise<() => void> {
  const prefixes = [domainPrefix(domain), RUNDOCK_PREFIX];
  const followed = await Promise.all(prefixes.map((prefix) => feeds.feed(prefix)));
  const states = new Map<string, FeedState>(prefixes.map((p) => [p, 'loading']));
  const unsubscribes = followed.map((feed) =>
    feed.subscribe(hub.sink(feed.prefix), (state) => {
      states.set(feed.prefix, state);
      hub.setFeed(combined([...states.values()]));
    }),
  );
  return () => unsubscribes.forEach((unsubscribe) => unsubscribe());
}

/** Every feed watching: watching; any disconnected: disconnected (the page says it shows the last view); else loading. */
export function combined(states: readonly FeedState[]): FeedState {
  if (states.includes('disconnected')) return 'disconnected';
  return states.every((s) => s === 'watching') ? 'watching' : 'loading';
}
