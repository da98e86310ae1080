/**
 * The embedded registry: one machine, no etcd. This agent's records live in memory, are persisted atomically to a
 * JSON file in the state directory, and are followed in-process (the DNS server of the same agent subscribes).
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../shared/atomic-file.js';
import { RegistryUnavailableError } from './errors.js';
import type { Registry, RegistryStatus } from './registry.js';
import { Serial } from './serial.js';
import * as z from 'zod/mini';
import { decodeJson } from '../shared/json.js';

/** Where the embedded registry keeps its file. */
export interface EmbeddedRegistryOptions {
  /** Directory of the state file (created if missing); one registry per directory. */
  stateDir: string;
}

/** Called with the complete new record set after every change. */
export type ChangeListener = (records: ReadonlyMap<string, string>) => void;

/** The state file's name inside stateDir. */
export const STATE_FILE = 'registry.json';
const FORMAT_VERSION = 1;

/** The Registry for a single machine, holding the records of the one agent in this process. */
export class EmbeddedRegistry implements Registry {
  private readonly file: string;
  private records: Map<string, string>;
  private readonly listeners = new Set<ChangeListener>();
  /** The file lags behind memory (a write failed): the next sync writes even if nothing changed. */
  private dirty = false;
  private lastError: string | undefined;
  private readonly serial = new Serial();
  private closed = false;

  /** Loads the state file: a missing file is an empty registry, a corrupt one is moved aside and treated as empty. */
  constructor(options: EmbeddedRegistryOptions) {
    mkdirSync(options.stateDir, { recursive: true });
    this.file = join(options.stateDir, STATE_FILE);
    const loaded = load(this.file);
    this.records = loaded.records;
    this.lastError = loaded.problem;
  }

  /** Follows every change (sync, withdrawAll) in this process. Returns the function that unsubscribes. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async sync(records: ReadonlyMap<string, string>): Promise<void> {
    this.assertOpen();
    await this.replace(new Map(records));
  }

  async list(prefix: string): Promise<Map<string, string>> {
    this.assertOpen();
    return new Map([...this.records].filter(([key]) => key.startsWith(prefix)));
  }

  async withdrawAll(): Promise<void> {
    this.assertOpen();
    await this.replace(new Map());
  }

  /** Nothing to release but subscriptions: records stay in the file, as etcd keeps them until the lease expires. */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.serial.idle();
  }

  status(): RegistryStatus {
    return { state: 'connected', written: this.records.size, lastError: this.lastError };
  }

  /**
   * Makes `next` the record set: memory and subscribers first (DNS must follow what runs even if the disk is full),
   * then the file. An unchanged set costs nothing, unless an earlier write failed.
   */
  private replace(next: Map<string, string>): Promise<void> {
    return this.serial.run(async () => {
      const changed = !sameRecords(this.records, next);
      if (!changed && !this.dirty) return;
      if (changed) {
        this.records = next;
        this.notify(next);
      }
      try {
        await writeFileAtomic(this.file, serialize(next));
        this.dirty = false;
        this.lastError = undefined;
      } catch (error) {
        this.dirty = true;
        this.lastError = error instanceof Error ? error.message : String(error);
        throw new RegistryUnavailableError(`the embedded registry cannot write ${this.file}: ${this.lastError}`, {
          cause: error,
          details: { file: this.file },
        });
      }
    });
  }

  private notify(records: ReadonlyMap<string, string>): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(records);
      } catch (error) {
        // A subscriber's failure must not stop the others or the write, but it is a bug and must show.
        process.emitWarning(error instanceof Error ? error : new Error(String(error)), 'RundockListenerError');
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('EmbeddedRegistry used after close()');
  }
}

function sameRecords(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

/** Sorted keys: the file is diffable and equal sets give equal files. */
function serialize(records: ReadonlyMap<string, string>): string {
  const sorted = Object.fromEntries([...records].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify({ version: FORMAT_VERSION, records: sorted }, null, 2)}\n`;
}

function load(file: string): { records: Map<string, string>; problem?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: new Map() };
    throw new RegistryUnavailableError(`the embedded registry cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
      details: { file },
    });
  }
  const records = parse(text);
  if (records) return { records };
  // Moved aside, not deleted: an operator can inspect it; the agent's first sync rebuilds the set from Docker.
  const aside = `${file}.corrupt-${Date.now()}`;
  renameSync(file, aside);
  return { records: new Map(), problem: `${file} was not a valid registry file; moved to ${aside}` };
}

/** The state file's format: every record by key. */
const fileSchema = z.object({ version: z.literal(FORMAT_VERSION), records: z.record(z.string(), z.string()) });

function parse(text: string): Map<string, string> | undefined {
  const data = decodeJson(fileSchema, text);
  return data === undefined ? undefined : new Map(Object.entries(data.records));
}
