/**
 * Prometheus metrics of the DNS server. Label values come from small fixed sets (a query type outside the usual
 * ones counts as `other`), so a client sending every type number cannot blow up the series count.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Query types counted under their own name; any other is `other`. */
const QTYPES = new Set(['A', 'AAAA', 'SRV', 'TXT', 'MX', 'CNAME', 'NS', 'SOA', 'ANY', 'PTR', 'HINFO', 'CAA', 'AXFR', 'IXFR']);

/** Where the zone feed stands, as `rundock_dns_watch_state` reports it. */
export const WATCH_STATE = { loading: 0, watching: 1, disconnected: 2 } as const;

type CounterChild = ReturnType<Counter<'qtype' | 'rcode'>['labels']>;

/** The DNS server's metrics, on a registry of their own unless one is given. */
export class DnsMetrics {
  readonly registry: Registry;
  readonly queries: Counter<'qtype' | 'rcode'>;
  readonly duration: Histogram;
  readonly records: Gauge;
  /** Set by the zone feed: 0 loading, 1 watching, 2 disconnected (answering from the last view); see WATCH_STATE. */
  readonly watchState: Gauge;
  readonly forwarded: Counter<'outcome'>;
  readonly dropped: Counter<'reason'>;
  readonly rateLimited: Counter<'action'>;
  private readonly recordSources: { readonly size: number }[] = [];
  /** Bound counter children by qtype then rcode: the hot path pays two map lookups, not a label hash. */
  private readonly children = new Map<string, Map<string, CounterChild>>();

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.queries = new Counter({ name: 'rundock_dns_queries_total', help: 'DNS queries answered, by query type and response code', labelNames: ['qtype', 'rcode'], registers });
    this.duration = new Histogram({
      name: 'rundock_dns_query_duration_seconds',
      help: 'Time from receiving a query to sending its answer (forwarded queries included)',
      // Fine below 5 ms, where an in-memory answer lives; the upper buckets catch forwarding and stalls.
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.1, 0.5, 2],
      registers,
    });
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
    this.watchState = new Gauge({ name: 'rundock_dns_watch_state', help: 'Zone feed state: 0 loading, 1 watching, 2 disconnected (serving the last view)', registers });
    this.forwarded = new Counter({ name: 'rundock_dns_forwarded_total', help: 'Queries outside the zone relayed upstream, by outcome', labelNames: ['outcome'], registers });
    this.dropped = new Counter({ name: 'rundock_dns_dropped_total', help: 'Packets dropped unanswered, by reason', labelNames: ['reason'], registers });
    this.rateLimited = new Counter({ name: 'rundock_dns_rate_limited_total', help: 'UDP queries over the per-client rate limit: dropped, or answered TC=1 (slip)', labelNames: ['action'], registers });
  }

  /** Reports the record count of `zones` (anything with a `size`, such as a ZoneIndex) in `rundock_dns_records`. */
  countRecordsOf(zones: Iterable<{ readonly size: number }>): void {
    this.recordSources.push(...zones);
  }

  /** Counts one answered query and its duration. */
  observe(qtype: string, rcode: string, seconds: number): void {
    const type = QTYPES.has(qtype) ? qtype : 'other';
    let byRcode = this.children.get(type);
    if (byRcode === undefined) this.children.set(type, (byRcode = new Map()));
    let child = byRcode.get(rcode);
    if (child === undefined) byRcode.set(rcode, (child = this.queries.labels(type, rcode)));
    child.inc();
    this.duration.observe(seconds);
  }
}
