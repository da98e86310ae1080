/**
 * How the long-running commands (agent, dns, gateway) stop: within a few seconds of SIGTERM or SIGINT, whatever the
 * state of etcd, Docker or nginx. A supervisor (systemd, runit) kills a process that lingers after SIGTERM, and a
 * user at a terminal should not have to press Ctrl-C twice. So the stop runs as steps against one deadline: each
 * step gets an AbortSignal that aborts when the budget is spent and must then stop waiting on anything outside the
 * process (its requests are cancelled, not merely no longer awaited). What a step could not do is logged; records
 * not withdrawn expire with their lease. A second signal ends the process at once.
 */
import type { Logger } from 'pino';

/**
 * The time the stop steps may take together, ms. With the graces below, the process exits within 4 s of the
 * signal at worst: under the 5 s promised (docs/cli.md), on a loaded machine too.
 */
export const STOP_BUDGET_MS = 3000;
/** After the budget, how long a step that was told to stop still gets to return before it is left behind, ms. */
const STRAGGLER_GRACE_MS = 250;
/** The least a step gets once the budget is spent: closing a socket or a client takes a tick or two. */
const LATE_STEP_MS = 50;
/** After the stop, how long open handles may keep the process alive before it exits anyway, ms. */
const EXIT_GRACE_MS = 300;

/** One part of a stop, in the order given. */
export interface StopStep {
  /** What the step does, for the log: `withdraw records`, `close the DNS server`, ... */
  readonly name: string;
  /** Does its part; when `signal` aborts (the budget is spent) it stops waiting on etcd, Docker or nginx. */
  run(signal: AbortSignal): Promise<void> | void;
}

/** What stopWithin needs besides the steps; `exit` is the process's (tests pass their own). */
export interface StopOptions {
  readonly log: Logger;
  readonly budgetMs?: number;
  readonly exit?: (code: number) => void;
}

/**
 * Resolves with the first SIGTERM or SIGINT. From then on, a second one ends the process at once with status 0:
 * the stop was asked for twice, and what it did not withdraw expires with the lease.
 */
export function stopSignal(
  log: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', first);
      process.off('SIGINT', first);
      const second = (again: NodeJS.Signals): void => {
        log.warn({ signal: again }, 'second signal: exiting at once; records not withdrawn expire with the lease');
        exit(0);
      };
      process.once('SIGTERM', second);
      process.once('SIGINT', second);
      resolve(signal);
    };
    process.on('SIGTERM', first);
    process.on('SIGINT', first);
  });
}

/**
 * Runs `steps` in order within the budget (STOP_BUDGET_MS by default), then logs a final `stopped` line with what
 * did not get done. A step that fails is logged and the next one runs; every step runs, the late ones with the
 * signal already aborted (closing sockets and clients needs no one's answer). Resolves to the names of the steps
 * that failed or were left behind. Should the process still not exit once everything is closed (a handle some
 * library left open), it exits shortly after with the status it was going to have.
 */
export async function stopWithin(steps: readonly StopStep[], o: StopOptions): Promise<string[]> {
  const started = Date.now();
  const budgetMs = o.budgetMs ?? STOP_BUDGET_MS;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`the stop took ${budgetMs} ms`)), budgetMs);
  const unfinished: string[] = [];
  for (const step of steps) {
    const remaining = started + budgetMs + STRAGGLER_GRACE_MS - Date.now();
    const outcome = await settled(step, deadline.signal, Math.max(LATE_STEP_MS, remaining));
    if (outcome === 'done') continue;
    unfinished.push(step.name);
    if (outcome === 'late') o.log.warn({ step: step.name }, `${step.name}: not done within the stop's ${budgetMs} ms`);
    else o.log.warn({ step: step.name, err: outcome.error }, `${step.name}: failed`);
  }
  clearTimeout(timer);
  o.log.info({ elapsed_ms: Date.now() - started, unfinished }, 'stopped');
  exitIfStuck(o);
  return unfinished;
}

type Outcome = 'done' | 'late' | { error: unknown };

/** Runs one step; 'late' when it has not settled `waitMs` from now (it has been told to stop by then). */
async function settled(step: StopStep, signal: AbortSignal, waitMs: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), waitMs)));
  try {
    const run = Promise.resolve()
      .then(() => step.run(signal))
      .then(
        (): Outcome => 'done',
        (error: unknown): Outcome => ({ error }),
      );
    return await Promise.race([run, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An unref'd timer: it fires only if something still holds the event loop once everything is closed. Every request
 * has been cancelled by then; what is left is a library's idle timer (etcd3 schedules a watch reconnect up to 30 s
 * ahead, and checks only when it fires that no watch is left to reconnect).
 */
function exitIfStuck(o: StopOptions): void {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  setTimeout(() => {
    o.log.info(
      { resources: process.getActiveResourcesInfo() },
      'timers of libraries still pending after the stop; exiting',
    );
    exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  }, EXIT_GRACE_MS).unref();
}
