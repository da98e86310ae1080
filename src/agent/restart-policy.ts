/**
 * When the agent restarts an unhealthy container (`restart_unhealthy: N`): Docker never restarts a container whose
 * health check fails (moby issue 28400), so after N failed checks in a row the agent does, with an exponential
 * backoff between restarts (10 s, 20 s, 40 s, ... up to 5 min), reset once the container has stayed healthy for
 * 5 min. Pure: the agent passes what it saw and the time, and does what the decision says (restarter.ts).
 */

/** The backoff between the agent's restarts of one container. */
export interface RestartBackoff {
  /** Wait before the second restart in a row, ms; each next one waits twice as long. The first is at once. */
  readonly firstDelayMs: number;
  /** The longest wait, ms. */
  readonly maxDelayMs: number;
  /** Healthy this long without a failure, the next failure starts over with a restart at once, ms. */
  readonly resetAfterMs: number;
}

/** As Kubernetes' CrashLoopBackOff: 10 s doubling to 5 min; reset after 5 min of health. */
export const UNHEALTHY_BACKOFF: RestartBackoff = Object.freeze({
  firstDelayMs: 10_000,
  maxDelayMs: 300_000,
  resetAfterMs: 300_000,
});

/** What the policy remembers of one container between decisions. */
export interface RestartMemory {
  /** Restarts since the container last stayed healthy for `resetAfterMs`: the backoff's exponent. */
  readonly streak: number;
  /** Every restart the agent made of this container. */
  readonly total: number;
  /** When the last restart was made, ms since the epoch. */
  readonly lastAt?: number | undefined;
  /** Since when the container has been seen healthy, without a failure in between. */
  readonly healthySince?: number | undefined;
  /** A restart was made and has not completed. */
  readonly inFlight: boolean;
}

export const NO_RESTARTS: RestartMemory = Object.freeze({ streak: 0, total: 0, inFlight: false });

/** What the agent saw of the container's health: its Docker health check, else its probe. */
export interface HealthSeen {
  readonly running: boolean;
  readonly healthy: boolean;
  /** Checks failed in a row: Docker's FailingStreak, or the probe's failures since its last success. */
  readonly failures: number;
}

/** Restart now; wait until `at` (backoff) and decide again; or nothing to do. */
export type RestartDecision =
  { readonly kind: 'none' } | { readonly kind: 'restart' } | { readonly kind: 'wait'; readonly until: number };

/** The delay before restart number `streak + 1` in a row: none for the first, then doubling, capped. */
export function backoffAfter(streak: number, b: RestartBackoff = UNHEALTHY_BACKOFF): number {
  if (streak <= 0) return 0;
  return Math.min(b.maxDelayMs, b.firstDelayMs * 2 ** Math.min(streak - 1, 30));
}

/**
 * Decides about one container that has `threshold` (N >= 1) as its restart_unhealthy. A restart is due once
 * `failures` reaches N, at once the first time, then after the backoff since the last restart; the memory it
 * returns marks it in flight (restartDone clears that).
 */
export function decideRestart(
  memory: RestartMemory,
  seen: HealthSeen,
  threshold: number,
  now: number,
  b: RestartBackoff = UNHEALTHY_BACKOFF,
): { memory: RestartMemory; decision: RestartDecision } {
  const none = { kind: 'none' } as const;
  if (memory.inFlight) return { memory, decision: none };
  if (!seen.running) return { memory: { ...memory, healthySince: undefined }, decision: none };
  if (seen.healthy && seen.failures === 0)
    return { memory: { ...memory, healthySince: memory.healthySince ?? now }, decision: none };
  const stable = memory.healthySince !== undefined && now - memory.healthySince >= b.resetAfterMs;
  const failing: RestartMemory = { ...memory, streak: stable ? 0 : memory.streak, healthySince: undefined };
  if (seen.failures < threshold) return { memory: failing, decision: none };
  const due = failing.lastAt === undefined ? now : failing.lastAt + backoffAfter(failing.streak, b);
  if (now < due) return { memory: failing, decision: { kind: 'wait', until: due } };
  const restarted = { streak: failing.streak + 1, total: failing.total + 1, lastAt: now, inFlight: true };
  return { memory: restarted, decision: { kind: 'restart' } };
}

/** The restart decided last has completed (or failed): the next decision may restart again, after the backoff. */
export function restartDone(memory: RestartMemory): RestartMemory {
  return { ...memory, inFlight: false };
}
