/**
 * The metrics of `rundock dns --workers N` as the primary serves them: it asks every connected worker for its
 * registry as JSON over IPC and aggregates the answers with its own (prom-client's AggregatorRegistry: counters and
 * histograms summed; gauges arrive labelled by worker, see worker.ts).
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { MetricsJson, ToWorker } from './worker.js';

/** A worker that does not answer within this is left out of the scrape. */
const METRICS_TIMEOUT_MS = 2000;

interface MetricsRequest {
  waiting: Set<Worker>;
  results: MetricsJson[];
  done: () => void;
}

/** Requests in flight, matched with the workers' replies by id. */
export class WorkerMetrics {
  private readonly requests = new Map<number, MetricsRequest>();
  private nextRequest = 0;

  /** Every given worker's metrics as JSON; resolves when all answered, exited, or after METRICS_TIMEOUT_MS. */
  collect(targets: Worker[]): Promise<MetricsJson[]> {
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      const request: MetricsRequest = { waiting: new Set(targets), results: [], done: () => undefined };
      const timer = setTimeout(() => request.done(), METRICS_TIMEOUT_MS);
      request.done = () => {
        clearTimeout(timer);
        this.requests.delete(id);
        resolve(request.results);
      };
      this.requests.set(id, request);
      if (targets.length === 0) request.done();
      const message: ToWorker = { rundockDns: 'metrics', id };
      for (const worker of targets) worker.send(message);
    });
  }

  /** A worker's reply to request `id`. */
  replied(worker: Worker, id: number, metrics: MetricsJson): void {
    const request = this.requests.get(id);
    if (request === undefined || !request.waiting.delete(worker)) return;
    request.results.push(metrics);
    if (request.waiting.size === 0) request.done();
  }

  /** A worker exited: no request waits for it any longer. */
  exited(worker: Worker): void {
    for (const request of this.requests.values())
      if (request.waiting.delete(worker) && request.waiting.size === 0) request.done();
  }
}

/** The primary's registry: its own metrics plus the workers', aggregated at every scrape. */
export class ClusterRegistry extends Registry {
  constructor(private readonly workerMetrics: () => Promise<MetricsJson[]>) {
    super();
  }

  override async metrics(): Promise<string> {
    const [workers, own] = await Promise.all([this.workerMetrics(), this.getMetricsAsJSON()]);
    return AggregatorRegistry.aggregate([...workers, own]).metrics();
  }
}
