/**
 * `rundock dns --workers N`: N processes answer on one address (node:cluster). Node spends most of a query's cost on
 * its per-datagram work, so one process tops out near one core; N processes use N.
 *
 * The primary forks the workers and supervises them; it answers no query. Each worker runs the whole service (its own
 * etcd feed, ZoneIndex and server, see dns/service.ts) on sockets the cluster shares (DnsServerOptions.shared): one UDP socket
 * the kernel hands each datagram from to one of the workers reading it, and one TCP listener whose connections the
 * primary deals round-robin. Each worker holds its own copy of the zone: memory grows with N.
 *
 * The primary restarts a worker that dies, after a backoff (0.5 s doubling to 30 s, reset once a worker has run 60
 * s); a slot whose workers die young 10 times in a row stops the whole server (exit 1) for its supervisor to see.
 * SIGTERM/SIGINT are forwarded to the workers; the primary returns 0 once they have exited (SIGKILL after 3 s, so
 * that the whole server is gone within 5 s of the signal, as every long-running command).
 * It serves --metrics-listen: /metrics sums the workers' counters and histograms (prom-client's aggregation),
 * keeps their gauges apart under a `worker` label, and adds its own; /status lists every worker.
 */
import type { AddressInfo } from 'node:net';
import { stopSignal, stopWithin } from '../../shared/shutdown.js';
import { feedNotReady } from '../../registry/feed-readiness.js';
import { startStatusServer } from '../../shared/status-server.js';
import { Supervisor, type DnsClusterOptions, type DnsClusterStatus } from './workers-supervisor.js';

export type { DnsClusterOptions, DnsClusterStatus };

/** A started cluster, as startDnsCluster returns it. */
export interface DnsCluster {
  /** Where /metrics and /status are served. */
  statusAddress: AddressInfo;
  /** The UDP (and TCP) address the workers serve, as the first of them reports it. */
  listen: string | undefined;
  /** Resolves with 'fatal' if a slot keeps failing (the server should then stop and exit 1). */
  fatal: Promise<'fatal'>;
  status(): DnsClusterStatus;
  /** SIGTERM to every worker, waits for them (SIGKILL after 10 s), closes /metrics and /status. */
  stop(): Promise<void>;
}

/**
 * Starts the status server, forks the workers and resolves once every one serves. If a worker dies before serving
 * (a bind or configuration failure, which the next one would meet too), stops the others and rejects with its error.
 */
export async function startDnsCluster(o: DnsClusterOptions, abort?: AbortSignal): Promise<DnsCluster> {
  const supervisor = new Supervisor(o);
  // First, so that a --metrics-listen conflict fails before any fork.
  const statusServer = await startStatusServer(
    o.statusListen,
    supervisor.registry,
    () => supervisor.status(),
    {},
    () => feedNotReady(supervisor.status().feed),
  );
  const stop = async (): Promise<void> => {
    await supervisor.stop();
    await statusServer.close();
  };
  try {
    await supervisor.start(abort);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    statusAddress: statusServer.address,
    listen: supervisor.listen(),
    fatal: supervisor.fatal,
    status: () => supervisor.status(),
    stop,
  };
}

/**
 * `rundock dns --workers N`: runs the primary until SIGTERM/SIGINT; resolves to the exit status. A second signal
 * exits at once (shared/shutdown.ts); the workers get the first one too, from the terminal or from the primary.
 */
export async function runDnsCluster(o: DnsClusterOptions): Promise<number> {
  const interrupted = new AbortController();
  const signalled = stopSignal(o.log).then((signal) => {
    interrupted.abort();
    return signal;
  });
  let dns: DnsCluster;
  try {
    dns = await startDnsCluster(o, interrupted.signal);
  } catch (error) {
    // Stopped while starting: the workers are gone, as asked.
    if (!interrupted.signal.aborted) throw error;
    o.log.info({ unfinished: [] }, 'stopped');
    return 0;
  }
  o.log.info(
    { domain: o.settings.domain, listen: dns.listen, forward: o.settings.forward ?? null, workers: o.workers },
    'dns serving',
  );
  const outcome = await Promise.race([signalled, dns.fatal]);
  if (outcome === 'fatal') {
    await dns.stop();
    return 1;
  }
  o.log.info({ signal: outcome }, 'dns stopping');
  await stopWithin([{ name: 'stop the DNS workers', run: () => dns.stop() }], { log: o.log });
  return 0;
}
