/**
 * The gateway's in-memory copy of the domain's records, written by the process's feed of the domain (shared with
 * DNS and the UI in an agent, registry/feeds.ts). It tells the gateway about a change only when a record changed.
 */
import type { ZoneSink } from '../registry/feed.js';

/** The domain's records by key, as the feed last wrote them; calls `onChange` after every change. */
export class RecordView implements ZoneSink {
  private readonly records = new Map<string, string>();

  constructor(private readonly onChange: () => void) {}

  get size(): number {
    return this.records.size;
  }

  get(key: string): string | undefined {
    return this.records.get(key);
  }

  entries(): IterableIterator<[string, string]> {
    return this.records.entries();
  }

  replaceAll(entries: Iterable<[string, string]>): void {
    this.records.clear();
    for (const [key, value] of entries) this.records.set(key, value);
    this.onChange();
  }

  put(key: string, value: string): void {
    if (this.records.get(key) === value) return;
    this.records.set(key, value);
    this.onChange();
  }

  delete(key: string): void {
    if (this.records.delete(key)) this.onChange();
  }
}
