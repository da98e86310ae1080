/**
 * The UI's one copy of the registry: the feeds write records in (one sink per watched prefix), the hub turns them
 * into the page model and events, and hands every new state to the subscribers (the SSE streams). Changes that
 * arrive together (an agent's transaction: host record and DNS record) are coalesced into one state.
 */
import type { Logger } from 'pino';
import type { ZoneSink } from '../registry/feed.js';
import { diffEvents } from './events.js';
import type { FeedState, PageModel, UiEvent, UiState } from './model.js';
import { pageModel } from './page-model.js';
import { clusterView } from './records.js';

export interface HubOptions {
  domain: string;
  log: Logger;
  /** How long to wait for more changes before publishing, ms (default 30). */
  settleMs?: number;
  /** Events kept, newest first (default 200). */
  maxEvents?: number;
  now?: () => Date;
}

/** A new state, as the JSON text every subscriber sends. */
export type StateListener = (json: string) => void;

export class UiHub {
  private readonly records = new Map<string, string>();
  private readonly listeners = new Set<StateListener>();
  private feed: FeedState = 'loading';
  /** Set once the feeds have loaded everything: the model then is the baseline, and later ones make events. */
  private baseline = false;
  private model: PageModel;
  private events: UiEvent[] = [];
  private json: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: HubOptions) {
    this.model = pageModel(o.domain, clusterView(o.domain, []));
    this.json = JSON.stringify(this.state());
  }

  /** A sink for the records under `prefix`: its replaceAll replaces those only (each feed watches one prefix). */
  sink(prefix: string): ZoneSink {
    return {
      replaceAll: (entries) => {
        for (const key of [...this.records.keys()]) if (key.startsWith(prefix)) this.records.delete(key);
        for (const [key, value] of entries) if (key.startsWith(prefix)) this.records.set(key, value);
        this.changed();
      },
      put: (key, value) => {
        if (this.records.get(key) === value) return;
        this.records.set(key, value);
        this.changed();
      },
      delete: (key) => {
        if (this.records.delete(key)) this.changed();
      },
    };
  }

  setFeed(state: FeedState): void {
    if (state === this.feed) return;
    this.feed = state;
    this.changed();
  }

  state(): UiState {
    return { feed: this.feed, model: this.model, events: this.events };
  }

  /** The current state as JSON text (what /api/state answers and every SSE message carries). */
  snapshot(): string {
    return this.json;
  }

  /** Calls `listener` with every new state. Returns the function that unsubscribes. */
  subscribe(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes what is pending now (tests, shutdown); later changes are published as usual. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.publish();
  }

  close(): void {
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  private changed(): void {
    this.timer ??= setTimeout(() => this.flush(), this.o.settleMs ?? 30).unref();
  }

  private publish(): void {
    const next = pageModel(this.o.domain, clusterView(this.o.domain, this.records));
    if (this.baseline) {
      const at = (this.o.now?.() ?? new Date()).toISOString();
      const fresh = diffEvents(this.model, next, at);
      if (fresh.length > 0) {
        this.events = [...fresh, ...this.events].slice(0, this.o.maxEvents ?? 200);
        this.o.log.debug({ events: fresh }, 'cluster changed');
      }
    } else if (this.feed === 'watching') {
      this.baseline = true;
    }
    this.model = next;
    const json = JSON.stringify(this.state());
    if (json === this.json) return;
    this.json = json;
    for (const listener of [...this.listeners]) {
      try {
        listener(json);
      } catch (error) {
        this.o.log.warn({ err: error }, 'a UI subscriber failed');
      }
    }
  }
}
