/**
 * The etcd lease an agent's records are on, kept in its state directory (`etcd-lease.json`, written atomically), so
 * that the next agent of the same host takes the records over, on the same lease, while it is alive (docs/records.md,
 * "The lease"). Only an agent of the same host name and the same etcd cluster takes it over: a lease ID means nothing
 * in another cluster, and another host's records are not this host's to take.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { writeFileAtomicSync } from '../shared/atomic-file.js';
import { decodeJson } from '../shared/json.js';

/** The state file's name inside the agent's state directory. */
export const LEASE_FILE = 'etcd-lease.json';

const savedSchema = z.object({
  /** The lease ID, decimal (as etcd's API gives it). */
  lease: z.string().check(z.regex(/^[0-9]+$/)),
  /** The etcd cluster's ID (every response header's `cluster_id`). */
  cluster: z.string(),
  /** The host name (`--hostname`) of the agent whose records it holds. */
  host: z.string(),
  /** Its TTL, seconds. */
  ttl: z.int(),
  /** When the agent put its records on it, RFC 3339. */
  saved_at: z.string(),
});

export type SavedLease = z.infer<typeof savedSchema>;

/** The lease file of one state directory, for the agent of `host`. */
export class LeaseFile {
  readonly path: string;

  constructor(
    stateDir: string,
    readonly host: string,
  ) {
    this.path = join(stateDir, LEASE_FILE);
  }

  /** The lease saved by an agent of this host; undefined when there is none (or the file is not one: it is replaced). */
  read(): SavedLease | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
    const saved = decodeJson(savedSchema, text);
    return saved?.host === this.host ? saved : undefined;
  }

  /** Saves the lease this agent's records are on now. Throws when the file cannot be written. */
  save(lease: string, cluster: string, ttl: number): void {
    mkdirSync(join(this.path, '..'), { recursive: true });
    const saved: SavedLease = { lease, cluster, host: this.host, ttl, saved_at: new Date().toISOString() };
    writeFileAtomicSync(this.path, `${JSON.stringify(saved)}\n`, 0o600);
  }

  /** Forgets the lease (revoked: nothing left to take over). */
  remove(): void {
    rmSync(this.path, { force: true });
  }
}
