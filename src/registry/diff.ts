/** The pure part of a sync: what to write so the registry holds exactly the desired records. */

/**
 * What this agent has in the registry, by key. `null` means "unknown": a write whose outcome was not confirmed
 * (the request failed midway) or a record of a lost lease. An unknown key is put again if wanted and deleted if not,
 * so a failed request can never leave a record behind.
 */
export type Written = Map<string, string | null>;

/** One change to the registry. */
export type Change = { op: 'put'; key: string; value: string } | { op: 'delete'; key: string };

/** The changes that turn `written` into `desired`, puts first, each list sorted by key (stable requests, stable tests). */
export function planSync(desired: ReadonlyMap<string, string>, written: ReadonlyMap<string, string | null>): Change[] {
  const changes: Change[] = [];
  for (const key of [...desired.keys()].sort()) {
    const value = desired.get(key);
    if (value !== undefined && written.get(key) !== value) changes.push({ op: 'put', key, value });
  }
  for (const key of [...written.keys()].sort()) {
    if (!desired.has(key)) changes.push({ op: 'delete', key });
  }
  return changes;
}

/** Records `changes` as confirmed: puts hold their value, deletes are gone. */
export function applyChanges(written: Written, changes: readonly Change[]): void {
  for (const change of changes) {
    if (change.op === 'put') written.set(change.key, change.value);
    else written.delete(change.key);
  }
}

/** Records `changes` as unconfirmed (sent, outcome unknown). */
export function markUnknown(written: Written, changes: readonly Change[]): void {
  for (const change of changes) written.set(change.key, null);
}

/** etcd's default --max-txn-ops: a larger transaction is refused, so bigger syncs are split. */
export const MAX_TXN_OPS = 128;

/** Splits `items` into chunks of at most `size` (etcd refuses transactions above --max-txn-ops, 128 by default). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
