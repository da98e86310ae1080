/**
 * Which restarted containers are held back, and until when. Pure: the agent passes what it saw and the time.
 *
 * A single crash costs one restart and one passing check: a container that had stayed up for `--stable-after`
 * (it served), crashed and was restarted is announced again as soon as its health check or probe passes. A crash loop
 * never is: a restart after a run shorter than `--stable-after` (it crashed before proving itself), or the
 * `--crash-loop-restarts`-th restart within `--crash-loop-window`. Restarts are Docker's (its restart policy) and
 * the agent's (restart_unhealthy); a start asked for (`docker start`, `rundock restart`, which reset Docker's count)
 * begins a new history. A container without health evidence (no check, no probe) needs `--stable-after` of uptime
 * after any start anyway (announce.ts): staying up is its only evidence.
 */

/** The crash-loop rule's settings. */
export interface CrashLoopRule {
  /** Restarts within `windowMs` that make a crash loop (at least 1). */
  readonly restarts: number;
  readonly windowMs: number;
  /** `--stable-after`: a run at least this long before a crash proves the container served. */
  readonly stableMs: number;
}

/** What the agent remembers of one container's runs between decisions. */
export interface RunHistory {
  /** The start of the run last seen, ms since the epoch: a new one is a new run. */
  readonly startedAt: number;
  /** Docker's restart count as last seen (its restart policy's restarts; a start asked for resets it to 0). */
  readonly restartCount: number;
  /** The agent's own restarts of the container (restart_unhealthy) as last seen. */
  readonly agentRestarts: number;
  /** When each restart seen started the container again, ms since the epoch, oldest first, the window's only. */
  readonly restarts: readonly number[];
  /** How long the run before the latest restart lasted, ms; undefined when the agent did not see it. */
  readonly lastRunMs?: number | undefined;
}

/** What the history is kept from: a running container's facts (InstanceFacts' fields of the same names). */
export interface RunSeen {
  readonly startedAt: number;
  /** When the run before this one ended (Docker's State.FinishedAt), ms since the epoch; NaN or 0 if none. */
  readonly finishedAt?: number | undefined;
  readonly restartCount: number;
  readonly agentRestarts: number;
}

/** Why a container is held back, and until when (ms since the epoch). */
export interface Hold {
  readonly reason: string;
  readonly until: number;
}

/**
 * The history after seeing the container run (`seen`), given the history before (undefined: first sight, as after the
 * agent's own start: a container Docker restarted counts one restart, at its start, of a run the agent did not see).
 */
export function noteRun(before: RunHistory | undefined, seen: RunSeen, rule: CrashLoopRule, now: number): RunHistory {
  const inWindow = (at: number): boolean => at > now - rule.windowMs;
  if (before === undefined) {
    const restarted = seen.restartCount > 0 || seen.agentRestarts > 0;
    return { ...counts(seen), restarts: restarted ? [seen.startedAt].filter(inWindow) : [] };
  }
  // The counts are compared from run to run: the agent counts its restart when it decides it, before the new run.
  if (seen.startedAt === before.startedAt) return before;
  const byDocker = seen.restartCount - before.restartCount;
  const byAgent = seen.agentRestarts - before.agentRestarts;
  // Docker resets its count on a start asked for: a new history (an operator's restart is no crash).
  if (byDocker <= 0 && byAgent <= 0) return { ...counts(seen), restarts: [] };
  const missed = Math.max(byDocker, 0) + Math.max(byAgent, 0);
  const ended = seen.finishedAt !== undefined && seen.finishedAt > 0 ? seen.finishedAt : NaN;
  // Several restarts since the last look: the run that just ended was not seen starting.
  const lastRunMs = missed === 1 && ended >= before.startedAt ? ended - before.startedAt : undefined;
  const restarts = [...before.restarts, ...Array<number>(missed).fill(seen.startedAt)].filter(inWindow);
  return { ...counts(seen), restarts, lastRunMs };
}

function counts(seen: RunSeen): Pick<RunHistory, 'startedAt' | 'restartCount' | 'agentRestarts'> {
  return { startedAt: seen.startedAt, restartCount: seen.restartCount, agentRestarts: seen.agentRestarts };
}

/**
 * Whether the crash-loop rule holds the container (running since `startedAt`) back at `now`, why and until when;
 * undefined when it does not. The `restarts`-th restart within the window holds it until that many are no longer in
 * it; a restart after a short (or unseen) run holds it until it has been up for `stableMs`.
 */
export function crashLoopHold(history: RunHistory | undefined, rule: CrashLoopRule, now: number): Hold | undefined {
  if (history === undefined || history.restarts.length === 0) return undefined;
  const recent = history.restarts.filter((at) => at > now - rule.windowMs);
  const nth = recent.at(-rule.restarts);
  if (nth !== undefined) {
    const until = nth + rule.windowMs;
    return {
      until,
      reason: `crash loop: ${recent.length} restarts in ${seconds(rule.windowMs)} (--crash-loop-restarts ${rule.restarts}); held back until ${clock(until)}`,
    };
  }
  const stableAt = history.startedAt + rule.stableMs;
  if (history.startedAt !== history.restarts.at(-1) || stableAt <= now) return undefined;
  const { lastRunMs } = history;
  if (lastRunMs !== undefined && lastRunMs >= rule.stableMs) return undefined;
  const after =
    lastRunMs === undefined
      ? 'restarted after a run the agent did not see'
      : `restarted after ${seconds(lastRunMs)} up (under --stable-after ${seconds(rule.stableMs)})`;
  return { until: stableAt, reason: `crash loop: ${after}; held back until ${clock(stableAt)}` };
}

/** `12 s`, `1.5 s`, `2 min`: a duration as reasons say it. */
export function seconds(ms: number): string {
  if (ms >= 120_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  const s = ms / 1000;
  return `${s >= 10 ? Math.round(s) : Math.round(s * 10) / 10} s`;
}

/** A time as reasons and the host record say it: RFC 3339 UTC to the second, so the text is stable. */
export function clock(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}
