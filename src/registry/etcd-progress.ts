/**
 * etcd's watch progress request (`WatchRequest.progress_request`, etcd 3.4 and later) on the etcd3 client's watch
 * stream, which etcd3 (1.1.2) does not expose. The member holding the stream answers at once with its current
 * revision, reading no key: an answer proves the stream and its member alive, the way a keep-alive proves a lease's.
 *
 * etcd answers with watch id -1 ("for every watcher of the stream"), which etcd3 would take for an unknown watcher and
 * throw on; so its watch manager's response handler is wrapped here to hand those answers to `onProgress` instead.
 * The revision is not applied to the watchers: etcd 3.4 may send the answer before events of that revision still on
 * their way to a watcher catching up (etcd#15220), so it says nothing about which events were delivered.
 *
 * etcd3's watchers also ask for etcd's own periodic progress notifications (`progress_notify`, every 10 minutes by
 * default, `--experimental-watch-progress-notify-interval`): those carry the watcher's id and arrive as its `data`.
 */
import type { Etcd3 } from 'etcd3';

/** The part of etcd3's WatchManager used here. */
interface WatchManager {
  handleResponse(response: WatchResponse): void;
  /** Throws when no stream is open (connecting, reconnecting after an error). */
  getStream(): { write(request: unknown): boolean };
}

interface WatchResponse {
  watch_id: string | number;
  header: { revision: string };
}

/** Asks the member behind a client's watch stream for progress. */
export interface WatchProgress {
  /** Sends a progress request; false when the client has no watch stream open right now. */
  request(): boolean;
}

const hooked = new WeakSet<Etcd3>();

/**
 * Hooks `client`'s watch stream: progress answers go to `onProgress` (etcd's revision), and `request()` asks for one.
 * One hook per client (its one watch stream): a second call throws.
 */
export function watchProgress(client: Etcd3, onProgress: (revision: string) => void): WatchProgress {
  const manager = (client as unknown as { watchManager?: Partial<WatchManager> }).watchManager;
  const handle = manager?.handleResponse?.bind(manager);
  const getStream = manager?.getStream?.bind(manager);
  if (manager === undefined || handle === undefined || getStream === undefined)
    throw new Error('etcd3 changed: no watchManager.handleResponse or getStream to adapt');
  if (hooked.has(client)) throw new Error('the watch progress of this client is already hooked');
  hooked.add(client);
  manager.handleResponse = (response) => {
    if (String(response.watch_id) === '-1') onProgress(response.header.revision);
    else handle(response);
  };
  return {
    request: () => {
      try {
        getStream().write({ progress_request: {} });
        return true;
      } catch {
        return false;
      }
    },
  };
}
