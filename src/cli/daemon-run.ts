/**
 * How agent, dns and gateway run in the foreground: started, then stopped within the stop budget on the first
 * SIGTERM or SIGINT (shared/shutdown.ts). The signal is awaited from before the start, so a signal during a slow
 * start (etcd, Docker) stops the daemon cleanly too.
 */
import type { Logger } from 'pino';
import { stopSignal, stopWithin, type StopStep } from '../shared/shutdown.js';

/** What a started daemon leaves for its stop. */
export interface Started {
  /** The stop's steps, in order; called once the signal came (a step may depend on what ran until then). */
  readonly stopSteps: () => readonly StopStep[];
  /** Logged with the `stopping` line. */
  readonly stopping?: Readonly<Record<string, unknown>>;
}

/** What `start` gets: the pending signal, and a way to handle SIGHUP (removed at the stop). */
export interface Starting {
  readonly stopping: Promise<NodeJS.Signals>;
  readonly onHup: (handler: () => void) => void;
}

/** Runs `start`, waits for the stop signal, runs the stop. Resolves to the exit status, 0. */
export async function runUntilSignal(
  component: string,
  log: Logger,
  start: (starting: Starting) => Promise<Started>,
): Promise<number> {
  const stopping = stopSignal(log);
  const hups: (() => void)[] = [];
  const started = await start({
    stopping,
    onHup: (handler) => {
      hups.push(handler);
      process.on('SIGHUP', handler);
    },
  });
  const signal = await stopping;
  log.info({ signal, ...started.stopping }, `${component} stopping`);
  for (const handler of hups) process.off('SIGHUP', handler);
  await stopWithin(started.stopSteps(), { log });
  return 0;
}
