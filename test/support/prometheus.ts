/**
 * Reading Prometheus text pages (etcd's `/metrics`, rundock's): counters and gauges summed by a key made from their
 * labels, and the difference of two readings. Used by the benchmarks that count etcd's requests.
 */

/** Values by key (e.g. `KV/Range`), summed over the series that map to it. */
export type Counters = Map<string, number>;

/** The labels of one series. */
export type Labels = Map<string, string>;

/**
 * The series of `metric` in `text`, summed by `keyOf(labels)`; a series whose key is undefined is left out.
 * Without `keyOf`, every series adds up under the key `''`.
 */
export function readCounters(
  text: string,
  metric: string,
  keyOf: (labels: Labels) => string | undefined = () => '',
): Counters {
  const counters: Counters = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const match = /^[^{ ]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match?.[2]) continue;
    const labels: Labels = new Map();
    for (const [, name, value] of (match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g))
      if (name !== undefined && value !== undefined) labels.set(name, value);
    const key = keyOf(labels);
    if (key !== undefined) counters.set(key, (counters.get(key) ?? 0) + Number(match[2]));
  }
  return counters;
}

/** One metric's value summed over all its series (0 when absent). */
export function readValue(text: string, metric: string): number {
  return readCounters(text, metric).get('') ?? 0;
}

/** `after - before`, key by key (keys only in `before` are left out). */
export function delta(before: Counters, after: Counters): Counters {
  const out: Counters = new Map();
  for (const [key, value] of after) out.set(key, value - (before.get(key) ?? 0));
  return out;
}

/** etcd's gRPC metrics keyed `Service/Method` (`KV/Range`, `Lease/LeaseKeepAlive`). */
export const grpcKey = (labels: Labels): string =>
  `${(labels.get('grpc_service') ?? '?').replace(/^etcdserverpb\./, '')}/${labels.get('grpc_method') ?? '?'}`;
