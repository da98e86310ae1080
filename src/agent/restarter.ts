/**
 * The agent's restarts of unhealthy containers (restart_unhealthy): the I/O around restart-policy.ts. It keeps the
 * policy's memory per container, restarts through the Engine API when the policy says so, wakes the agent when a
 * backoff ends, and keeps a failing container's Docker health in view: Docker emits an event when the health status
 * changes, not for each failed check, so while such a container is not healthy the agent inspects it again at its
 * health check's interval to read Docker's failing streak.
 */
import type { Logger } from 'pino';
import type { InstanceFacts } from './announce.js';
import type { AgentMetrics } from './metrics.js';
import { decideRestart, NO_RESTARTS, restartDone, type HealthSeen, type RestartMemory } from './restart-policy.js';

/** What the restarter does through the agent. */
export interface RestarterIo {
  /** Restarts the container (Engine API, the container's stop timeout); rejects when the engine refuses. */
  restart(id: string): Promise<void>;
  /** Inspects the container again; its new facts come back through `consider`. */
  refresh(id: string): void;
  /** Decides again for every container (a backoff ended). */
  reconcile(): void;
  readonly log: Logger;
  readonly metrics: AgentMetrics;
}

/** Restarts unhealthy containers of services with restart_unhealthy; see the module comment. */
export class UnhealthyRestarter {
  private readonly memory = new Map<string, RestartMemory>();
  private readonly wakeups = new Map<string, NodeJS.Timeout>();
  private readonly polls = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly io: RestarterIo) {}

  /**
   * Decides for each container whose service has restart_unhealthy, at `now`: restarts the ones due, and fills in
   * `unhealthyRestarts` (what `rundock ps` and the host record show).
   */
  consider(instances: Iterable<InstanceFacts>, now: number): void {
    if (this.stopped) return;
    for (const f of instances) {
      const threshold = f.labels.restartUnhealthy;
      const seen = healthSeen(f);
      if (threshold === undefined || seen === undefined) {
        this.forget(f.id, false);
        f.unhealthyRestarts = undefined;
        continue;
      }
      const { memory, decision } = decideRestart(this.memory.get(f.id) ?? NO_RESTARTS, seen, threshold, now);
      this.memory.set(f.id, memory);
      if (decision.kind === 'restart') this.restart(f, seen.failures, memory.total);
      const nextAt = decision.kind === 'wait' ? decision.until : undefined;
      this.wakeAt(f.id, nextAt, now);
      this.poll(f, !memory.inFlight && f.running && f.dockerHealth !== undefined && f.dockerHealth !== 'healthy');
      const { total: count, lastAt, inFlight: restarting } = memory;
      f.unhealthyRestarts = { failures: seen.failures, threshold, count, lastAt, restarting, nextAt };
    }
  }

  /** Forgets a container (destroyed, or no longer restartable); with `all`, its count too. */
  forget(id: string, all = true): void {
    clearTimeout(this.wakeups.get(id));
    clearTimeout(this.polls.get(id));
    this.wakeups.delete(id);
    this.polls.delete(id);
    if (all) this.memory.delete(id);
  }

  /** No more restarts, wake-ups or polls (a restart under way is aborted by the agent's own signal). */
  stop(): void {
    this.stopped = true;
    for (const id of [...this.wakeups.keys(), ...this.polls.keys()]) this.forget(id, false);
  }

  private restart(f: InstanceFacts, failures: number, count: number): void {
    const service = f.labels.service;
    const container = f.id.slice(0, 12);
    this.io.log.warn({ service, container, failures, restarts: count }, 'restarting an unhealthy container');
    void this.io
      .restart(f.id)
      .then(
        () => this.io.metrics.unhealthyRestarts.inc({ service, outcome: 'ok' }),
        (error: unknown) => {
          if (this.stopped) return;
          this.io.metrics.unhealthyRestarts.inc({ service, outcome: 'error' });
          this.io.log.warn({ err: error, service, container }, 'restart failed; tried again after the backoff');
        },
      )
      .finally(() => {
        const memory = this.memory.get(f.id);
        if (memory !== undefined) this.memory.set(f.id, restartDone(memory));
        if (!this.stopped) this.io.refresh(f.id);
      });
  }

  /** Decides again when the backoff ends. */
  private wakeAt(id: string, at: number | undefined, now: number): void {
    clearTimeout(this.wakeups.get(id));
    this.wakeups.delete(id);
    if (at === undefined) return;
    this.wakeups.set(
      id,
      setTimeout(() => (this.wakeups.delete(id), this.io.reconcile()), at - now + 10),
    );
  }

  /** Inspects the container again after one health check interval, while `wanted`. */
  private poll(f: InstanceFacts, wanted: boolean): void {
    if (!wanted) {
      clearTimeout(this.polls.get(f.id));
      this.polls.delete(f.id);
    } else if (!this.polls.has(f.id)) {
      const every = f.healthIntervalMs ?? 30_000;
      this.polls.set(
        f.id,
        setTimeout(() => (this.polls.delete(f.id), this.io.refresh(f.id)), every),
      );
    }
  }
}

/** The container's checks as the policy reads them: its Docker health check, else the agent's probe. */
function healthSeen(f: InstanceFacts): HealthSeen | undefined {
  if (!f.running) return { running: false, healthy: false, failures: 0 };
  if (f.dockerHealth !== undefined)
    return { running: true, healthy: f.dockerHealth === 'healthy', failures: f.failingStreak ?? 0 };
  if (f.probeHealth !== undefined)
    return { running: true, healthy: f.probeHealth === 'healthy', failures: f.probeFailures ?? 0 };
  return undefined;
}
