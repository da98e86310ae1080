import type { ContainerState, DockerRuntime } from '../runtime/docker.js';
import { waitUntilReady } from '../runtime/wait.js';
import { RundockError } from '../shared/errors.js';
import type { ContainerRef, Plan, Step } from '../plan/plan.js';

/** Receives progress while a plan runs; the CLI prints it on a terminal. */
export interface Reporter {
  step?(text: string): void;
  waiting?(text: string): void;
}

export interface ExecuteOptions {
  waitTimeoutMs: number;
  reporter?: Reporter | undefined;
}

/** What running the plan produced: the container now in place (if any) and its state after the last wait. */
export interface Executed {
  containerId?: string | undefined;
  ready?: ContainerState | undefined;
}

/** Runs a plan's steps against the engine; restores the old container if a swap step fails. */
export async function executePlan(docker: DockerRuntime, plan: Plan, opts: ExecuteOptions): Promise<Executed> {
  const run = new StepRunner(docker, opts);
  try {
    for (const step of plan.prepare) await run.do(step);
    try {
      for (const step of plan.swap) await run.do(step);
    } catch (error) {
      if (plan.rollback.length === 0) throw error;
      const restored = await run.rollback(plan.rollback);
      if (error instanceof RundockError) {
        error.details.rolled_back = restored;
        if (restored) error.message += '\nthe previous container was restored';
      }
      throw error;
    }
    for (const step of plan.cleanup) await run.do(step);
  } catch (error) {
    // A failure after a step that changed something still changed the host: say so truthfully.
    if (error instanceof RundockError) error.details.changed = run.changed;
    throw error;
  }
  return { containerId: run.newId ?? run.lastTouched, ready: run.ready };
}

/** A one-line description of a step, for progress and `--dry-run`. */
export function describeStep(step: Step): string {
  switch (step.op) {
    case 'create':
      return `create ${step.name} from ${step.body.Image ?? '?'}`;
    case 'rename':
      return `rename ${refText(step.container)} to ${step.to}`;
    case 'wait':
      return `wait until ${refText(step.container)} is ready`;
    default:
      return `${step.op} ${refText(step.container)}`;
  }
}

function refText(ref: ContainerRef): string {
  return ref === 'new' ? 'the new container' : `${ref.name} (${ref.id.slice(0, 12)})`;
}

class StepRunner {
  newId: string | undefined;
  lastTouched: string | undefined;
  changed = false;
  ready: ContainerState | undefined;

  constructor(
    private readonly docker: DockerRuntime,
    private readonly opts: ExecuteOptions,
  ) {}

  async do(step: Step): Promise<void> {
    this.opts.reporter?.step?.(describeStep(step));
    if (step.op !== 'wait') this.changed = true;
    if (step.op === 'create') {
      this.newId = await this.docker.create(step.name, step.body);
      return;
    }
    const id = this.resolve(step.container);
    this.lastTouched = id;
    if (step.op === 'start') await this.docker.start(id);
    else if (step.op === 'stop') await this.docker.stop(id);
    else if (step.op === 'remove') await this.docker.remove(id);
    else if (step.op === 'rename') await this.docker.rename(id, step.to);
    else
      this.ready = await waitUntilReady(this.docker, id, {
        timeoutMs: this.opts.waitTimeoutMs,
        onWait: (s, ms) =>
          this.opts.reporter?.waiting?.(
            `waiting for ${id.slice(0, 12)}: ${s.health ?? s.status}, ${Math.round(ms / 1000)} s`,
          ),
      });
  }

  /** Best effort: every rollback step is tried; true when all succeeded. */
  async rollback(steps: readonly Step[]): Promise<boolean> {
    let ok = true;
    for (const step of steps) {
      try {
        await this.do(step);
      } catch {
        ok = false;
      }
    }
    return ok;
  }

  private resolve(ref: ContainerRef): string {
    if (ref !== 'new') return ref.id;
    if (this.newId === undefined) throw new Error('plan refers to the new container before creating it');
    return this.newId;
  }
}
