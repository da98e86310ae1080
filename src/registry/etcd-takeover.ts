/**
 * An agent's start after another agent of its host stopped and left its records in place (docs/records.md, "The
 * lease"): the lease the lease file names is taken over while etcd still keeps it, with the records on it as they are
 * in etcd, so the first sync puts only what changed and deletes only what is no longer wanted: no record is withdrawn
 * and put again. A lease with another TTL (the agent's --lease-ttl changed) is left to expire; its records count as
 * unknown, so the first sync puts the wanted ones under a new lease (a put moves a key) and deletes the others.
 */
import type { CallOptions } from '@grpc/grpc-js';
import type { Etcd3, IRequestOp } from 'etcd3';
import { chunk, MAX_TXN_OPS, type Written } from './diff.js';
import type { LeaseHolder } from './etcd-lease.js';
import type { LeaseFile } from './lease-file.js';

/** What was taken over: the records (key -> value, `null` for unknown), and the lease when it is now the holder's. */
export interface TakenOver {
  records: Written;
  lease?: string | undefined;
}

/**
 * Takes over the lease `file` names into `holder`; undefined when there is none to take (no file, or the lease is
 * gone: the file is then removed). Rejects when etcd cannot be asked.
 */
export async function takeOverLease(
  client: Etcd3,
  holder: LeaseHolder,
  file: LeaseFile,
  options: CallOptions | undefined,
): Promise<TakenOver | undefined> {
  const saved = file.read();
  const found = saved && (await holder.adopt(saved.lease, saved.cluster, options));
  if (saved === undefined || found === undefined) {
    file.remove();
    return undefined;
  }
  // Unknown until read (or if the read fails: the lease is held now): put again if wanted, deleted if not.
  const records: Written = new Map(found.keys.map((key) => [key, null]));
  if (!found.adopted) return { records };
  const values = await valuesOf(client, found.keys, options).catch(() => new Map<string, string>());
  for (const [key, value] of values) records.set(key, value);
  return { records, lease: saved.lease };
}

/** The values of `keys` now, in transactions of reads (a key deleted meanwhile has none). */
async function valuesOf(
  client: Etcd3,
  keys: readonly string[],
  options: CallOptions | undefined,
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const part of chunk(keys, MAX_TXN_OPS)) {
    const ops = part.map((key): IRequestOp => ({ request_range: { key: Buffer.from(key) } }));
    const { responses } = await client.kv.txn({ success: ops }, options);
    for (const response of responses)
      for (const kv of response.response_range?.kvs ?? []) values.set(kv.key.toString(), kv.value.toString());
  }
  return values;
}
