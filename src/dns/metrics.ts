/**
 * Prometheus metrics of the DNS server. Label values come from small fixed sets (a query type outside the usual
 * ones counts as `other`), so a client sending every type number cannot blow up the series count.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { DurationHistogram } from './duration-histogram.js';

/** Query types counted under their own name; any other is `other`. */
const QTYPES = new Set([
  'A',
  'AAAA',
  'SRV',
  'TXT',
  'MX',
  'CNAME',
  'NS',
  'SOA',
  'ANY',
  'PTR',
  'HINFO',
  'CAA',
  'AXFR',
  'IXFR',
]);

/** Where the zone feed stands, as `rundock_dns_watch_state` reports it. */
export const WATCH_STATE = { loading: 0, watching: 1, disconnected: 2 } as const;

/** Queries counted since the last scrape, by qtype then rcode: the hot path pays two map lookups and an addition. */
type PendingCounts = Map<string, Map<string, { n: number }>>;

/** The DNS server's metrics, on a registry of their own unless one is given. */
export class DnsMetrics {
  readonly registry: Registry;
  readonly queries: Counter<'qtype' | 'rcode'>;
  readonly duration: DurationHistogram;
  readonly records: Gauge;
  /** Set by the zone feed: 0 loading, 1 watching, 2 disconnected (answering from the last view); see WATCH_STATE. */
  readonly watchState: Gauge;
  readonly forwarded: Counter<'outcome'>;
  readonly dropped: Counter<'reason'>;
  readonly rateLimited: Counter<'action'>;
  private readonly recordSources: { readonly size: number }[] = [];
  private readonly pending: PendingCounts = new Map();

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    const pending = this.pending;
    this.queries = new Counter({
      name: 'rundock_dns_queries_total',
      help: 'DNS queries answered, by query type and response code',
      labelNames: ['qtype', 'rcode'],
      registers,
      // Moved from the query path's plain counts at scrape time.
      collect() {
        for (const [qtype, byRcode] of pending) {
          for (const [rcode, count] of byRcode) {
            if (count.n > 0) this.labels(qtype, rcode).inc(count.n);
            count.n = 0;
          }
        }
      },
    });
    this.duration = new DurationHistogram(
      'rundock_dns_query_duration_seconds',
      'Time from receiving a query to sending its answer (forwarded queries included)',
      // Fine below 5 ms, where an in-memory answer lives; the upper buckets catch forwarding and stalls.
      [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.1, 0.5, 2],
      registry,
    );
    const sources = this.recordSources;
    this.records = new Gauge({
      name: 'rundock_dns_records',
      help: 'Records loaded in the zone indexes served',
      registers,
      // Read at scrape time: the feed updates the index at its own pace, and a query must not pay for a gauge.
      collect() {
        if (sources.length > 0) this.set(sources.reduce((sum, source) => sum + source.size, 0));
      },
    });
    this.watchState = new Gauge({
      name: 'rundock_dns_watch_state',
      help: 'Zone feed state: 0 loading, 1 watching, 2 disconnected (serving the last view)',
      registers,
    });
    this.forwarded = new Counter({
      name: 'rundock_dns_forwarded_total',
      help: 'Queries outside the zone relayed upstream, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.dropped = new Counter({
      name: 'rundock_dns_dropped_total',
      help: 'Packets dropped unanswered, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'rundock_dns_rate_limited_total',
      help: 'UDP queries over the per-client rate limit: dropped, or answered TC=1 (slip)',
      labelNames: ['action'],
      registers,
    });
  }

  /** Reports the record count of `zones` (anything with a `size`, such as a ZoneIndex) in `rundock_dns_records`. */
  countRecordsOf(zones: Iterable<{ readonly size: number }>): void {
    this.recordSources.push(...zones);
  }

  /** Counts one answered query and its duration. */
  observe(qtype: string, rcode: string, seconds: number): void {
    this.count(qtype, rcode);
    this.duration.observe(seconds);
  }

  /** Counts one answered query whose duration is observed elsewhere (batched UDP observes a batch's at once). */
  count(qtype: string, rcode: string): void {
    const type = QTYPES.has(qtype) ? qtype : 'other';
    let byRcode = this.pending.get(type);
    if (byRcode === undefined) this.pending.set(type, (byRcode = new Map<string, { n: number }>()));
    const count = byRcode.get(rcode);
    if (count === undefined) byRcode.set(rcode, { n: 1 });
    else count.n++;
  }
}
