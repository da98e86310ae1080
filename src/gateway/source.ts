/**
 * The gateway's in-memory copy of the domain's records, written by the process's feed of the domain (shared with
 * DNS and the UI in an agent, registry/feeds.ts), kept as the snapshot the render needs.
 *
 * A change costs the work of its own service: the record is parsed once, when it changes (snapshot.ts's
 * parseRecord), and only its service's sorted instances are computed again; every other service keeps the very
 * array it had, so its rendered text is reused (render.ts, memoizedUpstreamText). At 20,000 records, parsing them
 * all again for every change took most of a render (docs/SCALE.md).
 */
import type { ZoneSink } from '../registry/feed.js';
import {
  parseRecord,
  uniqueSorted,
  type ParsedRecord,
  type SkippedRecord,
  type UpstreamInstance,
  type UpstreamSnapshot,
} from './snapshot.js';

interface Held {
  value: string;
  parsed: ParsedRecord;
}

/** The domain's records by key, parsed; calls `onChange` after every change. */
export class RecordView implements ZoneSink {
  private readonly records = new Map<string, Held>();
  private readonly left = new Map<string, SkippedRecord>();
  /** Each service's instances by record key. */
  private readonly services = new Map<string, Map<string, UpstreamInstance>>();
  /** Each service's instances as the snapshot gives them, computed on demand, dropped when one of its records changes. */
  private readonly sorted = new Map<string, readonly UpstreamInstance[]>();
  /** The service names in order, dropped when a service appears or goes. */
  private names: string[] | undefined;

  constructor(
    private readonly domain: string,
    private readonly onChange: () => void,
  ) {}

  get size(): number {
    return this.records.size;
  }

  replaceAll(entries: Iterable<[string, string]>): void {
    this.records.clear();
    this.left.clear();
    this.services.clear();
    this.sorted.clear();
    this.names = undefined;
    for (const [key, value] of entries) this.set(key, value);
    this.onChange();
  }

  put(key: string, value: string): void {
    if (this.records.get(key)?.value === value) return;
    this.remove(key);
    this.set(key, value);
    this.onChange();
  }

  delete(key: string): void {
    if (this.remove(key)) this.onChange();
  }

  /** What the render needs: every service with instances, in order (the arrays of unchanged services are kept). */
  snapshot(): UpstreamSnapshot {
    this.names ??= [...this.services.keys()].sort();
    const services = new Map<string, readonly UpstreamInstance[]>();
    for (const name of this.names) {
      let list = this.sorted.get(name);
      if (list === undefined)
        this.sorted.set(name, (list = uniqueSorted([...(this.services.get(name)?.values() ?? [])])));
      services.set(name, list);
    }
    return { services };
  }

  /** The records left out of the snapshot, with the reason. */
  skipped(): SkippedRecord[] {
    return [...this.left.values()];
  }

  private set(key: string, value: string): void {
    const parsed = parseRecord(this.domain, key, value);
    this.records.set(key, { value, parsed });
    if ('reason' in parsed) {
      this.left.set(key, parsed);
      return;
    }
    let instances = this.services.get(parsed.service);
    if (instances === undefined) {
      this.services.set(parsed.service, (instances = new Map<string, UpstreamInstance>()));
      this.names = undefined;
    }
    instances.set(key, parsed.instance);
    this.sorted.delete(parsed.service);
  }

  /** Forgets `key`; false when it was not held. */
  private remove(key: string): boolean {
    const held = this.records.get(key);
    if (held === undefined) return false;
    this.records.delete(key);
    if ('reason' in held.parsed) return this.left.delete(key);
    const { service } = held.parsed;
    const instances = this.services.get(service);
    instances?.delete(key);
    this.sorted.delete(service);
    if (instances?.size === 0) {
      this.services.delete(service);
      this.names = undefined;
    }
    return true;
  }
}
