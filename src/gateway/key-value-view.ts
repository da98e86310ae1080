/** A feed's records by key, unparsed (route records, ACME certificates and challenges); calls `onChange` after every change. */
import type { ZoneSink } from '../registry/feed.js';

export class KeyValueView implements ZoneSink {
  private readonly records = new Map<string, string>();

  constructor(private readonly onChange: () => void) {}

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
