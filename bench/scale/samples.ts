/**
 * What bench/scale reads from the outside: each etcd member's /metrics (requests by type, watch events, lease
 * renewals, CPU), and a process's CPU time and resident memory from /proc.
 */
import { readFile } from 'node:fs/promises';
import { delta, grpcKey, readCounters, readValue, type Counters } from '../../test/support/prometheus.js';

/** etcd's counters at one moment, over its three members. */
export interface EtcdSample {
  at: number;
  /** gRPC messages received (a stream's messages each count: keep-alives, watch requests), by Service/Method. */
  received: Counters;
  /** Keys read, written and deleted by the members' stores: `range` summed (a read is served by one member), the rest from the leader (every member applies every write). */
  store: Counters;
  /** Watch events sent to clients, all members. */
  watchEvents: number;
  /** Bytes sent to clients, all members. */
  sentBytes: number;
  /** Lease renewals, as the leader counts them. */
  renewals: number;
  leaderCpuSeconds: number;
  /** CPU of all three members. */
  cpuSeconds: number;
  /** Which member leads (index). */
  leader: number;
  /** Gauges: watchers, watch streams (all members), keys, leader's resident memory (bytes). */
  watchers: number;
  watchStreams: number;
  keys: number;
  leaderRssBytes: number;
  /** Bytes of the values put so far (the leader's count), and the size of its database file. */
  putBytes: number;
  dbBytes: number;
}

/** Reads every member's /metrics at once. */
export async function sampleEtcd(endpoints: readonly string[]): Promise<EtcdSample> {
  const texts = await Promise.all(
    endpoints.map(async (e) => (await fetch(`${e}/metrics`, { signal: AbortSignal.timeout(5000) })).text()),
  );
  const leader = Math.max(
    0,
    texts.findIndex((t) => readValue(t, 'etcd_server_is_leader') === 1),
  );
  const leaderText = texts[leader] ?? '';
  const sum = (metric: string): number => texts.reduce((n, t) => n + readValue(t, metric), 0);
  const received: Counters = new Map();
  for (const t of texts)
    for (const [k, v] of readCounters(t, 'grpc_server_msg_received_total', grpcKey))
      received.set(k, (received.get(k) ?? 0) + v);
  const store: Counters = new Map([
    ['range', sum('etcd_mvcc_range_total')],
    ['put', readValue(leaderText, 'etcd_mvcc_put_total')],
    ['txn', readValue(leaderText, 'etcd_mvcc_txn_total')],
    ['delete', readValue(leaderText, 'etcd_mvcc_delete_total')],
  ]);
  return {
    at: Date.now(),
    received,
    store,
    watchEvents: sum('etcd_debugging_mvcc_events_total'),
    sentBytes: sum('etcd_network_client_grpc_sent_bytes_total'),
    renewals: readValue(leaderText, 'etcd_debugging_lease_renewed_total'),
    leaderCpuSeconds: readValue(leaderText, 'process_cpu_seconds_total'),
    cpuSeconds: sum('process_cpu_seconds_total'),
    leader,
    watchers: sum('etcd_debugging_mvcc_watcher_total'),
    watchStreams: sum('etcd_debugging_mvcc_watch_stream_total'),
    keys: readValue(leaderText, 'etcd_debugging_mvcc_keys_total'),
    leaderRssBytes: readValue(leaderText, 'process_resident_memory_bytes'),
    putBytes: readValue(leaderText, 'etcd_debugging_mvcc_total_put_size_in_bytes'),
    dbBytes: readValue(leaderText, 'etcd_mvcc_db_total_size_in_bytes'),
  };
}

/** What etcd did between two samples, per second. */
export interface EtcdRates {
  seconds: number;
  received: Counters;
  store: Counters;
  watchEvents: number;
  sentBytes: number;
  renewals: number;
  /** The leader's CPU, and all three members', as a share of one core (0..1). */
  leaderCpu: number;
  cpu: number;
  /** The leader changed in between: its CPU figure mixes two members. */
  leaderChanged: boolean;
}

export function etcdRates(a: EtcdSample, b: EtcdSample): EtcdRates {
  const seconds = (b.at - a.at) / 1000;
  const perSecond = (c: Counters): Counters => new Map([...c].map(([k, v]) => [k, v / seconds]));
  return {
    seconds,
    received: perSecond(delta(a.received, b.received)),
    store: perSecond(delta(a.store, b.store)),
    watchEvents: (b.watchEvents - a.watchEvents) / seconds,
    sentBytes: (b.sentBytes - a.sentBytes) / seconds,
    renewals: (b.renewals - a.renewals) / seconds,
    leaderCpu: (b.leaderCpuSeconds - a.leaderCpuSeconds) / seconds,
    cpu: (b.cpuSeconds - a.cpuSeconds) / seconds,
    leaderChanged: a.leader !== b.leader,
  };
}

/** A process's CPU time so far (user + system, seconds) and resident memory now and at its peak (KiB). */
export interface ProcSample {
  cpuSeconds: number;
  rssKiB: number;
  peakKiB: number;
}

const CLOCK_TICKS = 100;

export async function sampleProcess(pid: number): Promise<ProcSample> {
  const [stat, status] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''),
  ]);
  // Fields after the command name (in parentheses, may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  const kib = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / CLOCK_TICKS, rssKiB: kib('VmRSS'), peakKiB: kib('VmHWM') };
}
