/**
 * startUi: the web UI wired together: the process's feeds (etcd or the embedded registry) into the hub, the hub's
 * states to the HTTP server's event streams. `rundock ui` and `rundock agent --ui` both run it.
 */
import type { Logger } from 'pino';
import { uiFiles } from './assets.js';
import { UiHub } from './hub.js';
import type { FeedState } from './model.js';
import type { UiOptions } from './options.js';
import { startUiServer } from './server.js';
import type { FeedProvider } from '../registry/feed.js';
import { followUiFeeds } from './source.js';

export interface StartUiOptions extends UiOptions {
  /** The process's record feeds (registry/feeds.ts); in an agent, shared with DNS and the gateway. */
  feeds: FeedProvider;
  log: Logger;
}

export interface UiStatus {
  url: string;
  feed: FeedState;
  clients: number;
  token: boolean;
}

export interface RunningUi {
  status(): UiStatus;
  stop(): Promise<void>;
}

/** Listens first (a taken address fails before anything connects), then starts the feed. */
export async function startUi(o: StartUiOptions): Promise<RunningUi> {
  const hub = new UiHub({ domain: o.domain, log: o.log });
  const server = await startUiServer({
    listen: o.listen,
    token: o.token,
    files: await uiFiles(o.domain),
    snapshot: () => hub.snapshot(),
    subscribe: (listener) => hub.subscribe(listener),
    log: o.log,
  });
  let unfollow: () => void;
  try {
    unfollow = await followUiFeeds(o.feeds, o.domain, hub);
  } catch (error) {
    await server.close();
    throw error;
  }
  const { address, family, port } = server.address;
  const url = `http://${family === 'IPv6' ? `[${address}]` : address}:${port}/`;
  o.log.info({ url, token: o.token !== undefined }, 'web UI listening');
  return {
    status: () => ({ url, feed: hub.state().feed, clients: server.clients(), token: o.token !== undefined }),
    stop: async () => {
      unfollow();
      hub.close();
      await server.close();
    },
  };
}
