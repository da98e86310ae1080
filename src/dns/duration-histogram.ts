/**
 * A label-less Prometheus histogram for the query path: observe() is a bucket search and three additions, where
 * prom-client's Histogram also validates and hashes labels on every call, a cost the size of answering a cached
 * query. Registered on a prom-client Registry as any metric is (get() returns the histogram in prom-client's own
 * shape), so it scrapes and aggregates across workers like the others.
 */
import type { MetricValueWithName, Registry } from 'prom-client';

/** What Registry.getMetricsAsJSON and the text format read from a metric. */
export interface HistogramData {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: MetricValueWithName<string>[];
}

export class DurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    this.counts = new Float64Array(upperBounds.length);
    registry.registerMetric(this as never);
  }

  observe(seconds: number): void {
    this.observeMany(seconds, 1);
  }

  /** `times` observations of the same duration (the answers of one batch, sent together). */
  observeMany(seconds: number, times: number): void {
    const bounds = this.upperBounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= (bounds[i] as number)) {
        this.counts[i] = (this.counts[i] as number) + times;
        break;
      }
    }
    this.sum += seconds * times;
    this.count += times;
  }

  async get(): Promise<HistogramData> {
    let cumulative = 0;
    const values: MetricValueWithName<string>[] = this.upperBounds.map((le, i) => {
      cumulative += this.counts[i] as number;
      return { labels: { le }, value: cumulative, metricName: `${this.name}_bucket` };
    });
    values.push(
      { labels: { le: '+Inf' }, value: this.count, metricName: `${this.name}_bucket` },
      { labels: {}, value: this.sum, metricName: `${this.name}_sum` },
      { labels: {}, value: this.count, metricName: `${this.name}_count` },
    );
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
