import type { FeedState } from './feed.js';

/** Why a process that serves from a feed is not ready (GET /readyz): its view is not loaded, or etcd went away. */
export function feedNotReady(state: FeedState | undefined): string[] {
  if (state === 'loading') return ['registry: loading the records'];
  if (state === 'disconnected') return ['registry: etcd out of reach, serving the last view'];
  return [];
}
