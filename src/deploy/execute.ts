import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerState, ContainerEngine } from '../runtime/engine.js';
import { waitUntilReady } from '../runtime/wait.js';
import { RundockError } from '../shared/errors.js';
import type { ContainerRef, Plan, Step } from '../plan/plan.js';
import type { Handover } from './handover.js';

/** Receives progress while a plan runs; the CLI prints it on a terminal. */
export interface Reporter {
  step?(text: string): void;
  waiting?(text: string): void;
}

export interface ExecuteOptions {
  /** The service the plan is for: its name in records and gateway reports. */
  service: string;
  waitTimeoutMs: number;
  /** How long a withdrawn container keeps serving in-flight requests before it is stopped. */
  drainMs: number;
  /** The host's agent and, through it, the gateways; undefined when no agent runs (nothing to hand over). */
  handover?: Handover | undefined;
  reporter?: Reporter | undefined;
}

/** What running the plan produced: the container now in place (if any), its state and the address it is announced at. */
export interface Executed {
  containerId?: string | undefined;
  ready?: ContainerState | undefined;
  announced?: string | undefined;
  /** How long each step took, in order (undo steps included), ms. */
  timings: { action: string; ms: number }[];
}

/** Runs a plan's steps against the engine; when one fails, undoes the steps done before it, newest first. */
export async function executePlan(docker: ContainerEngine, plan: Plan, opts: ExecuteOptions): Promise<Executed> {
  const run = new StepRunner(docker, opts);
  await run.learnAddresses(plan);
  const undo: Step[][] = [];
  try {
    for (const planned of plan.steps) {
      try {
        await run.do(planned.step);
      } catch (error) {
        const toUndo = undo.reverse().flat();
        const failures = await run.undo(toUndo);
        if (error instanceof RundockError && toUndo.length > 0) {
          error.details.rolled_back = failures.length === 0;
          if (failures.length === 0) error.message += '\nthe previous container was restored';
          else {
            error.details.rollback_failures = failures;
            error.message += `\nrestoring the previous container failed: ${failures.join('; ')}`;
          }
        }
        throw error;
      }
      undo.push(planned.undo);
    }
    for (const s of plan.cleanup) await run.do(s);
  } catch (error) {
    // A failure after a step that changed something still changed the host: say so truthfully.
    if (error instanceof RundockError) error.details.changed = run.changed;
    throw error;
  }
  return {
    containerId: run.newId ?? run.lastTouched,
    ready: run.ready,
    announced: run.announcedAddress,
    timings: run.timings,
  };
}

/** A one-line description of a step, for progress and `--dry-run`. */
export function describeStep(step: Step): string {
  const ref = 'container' in step ? refText(step.container) : '';
  switch (step.op) {
    case 'create':
      return `create ${step.name} from ${step.body.Image ?? '?'}`;
    case 'rename':
      return `rename ${ref} to ${step.to}`;
    case 'wait':
      return `wait until ${ref} is ready`;
    case 'announced':
      return `wait until the agent announces ${ref}`;
    case 'served':
      return `wait until every gateway serves ${ref}`;
    case 'withdrawn':
      return `wait until no gateway serves ${ref}`;
    case 'drain':
      return `let requests in flight to ${ref} finish`;
    default:
      return `${step.op} ${ref}`;
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
  announcedAddress: string | undefined;
  readonly timings: { action: string; ms: number }[] = [];
  /** Where the agent announced each container before the plan ran (by ID). */
  private addresses = new Map<string, string>();

  constructor(
    private readonly docker: ContainerEngine,
    private readonly opts: ExecuteOptions,
  ) {}

  /** Asks the agent where the plan's old containers are announced, before any step changes that. */
  async learnAddresses(plan: Plan): Promise<void> {
    const withdrawing = [...plan.steps.map((s) => s.step), ...plan.cleanup].some((s) => s.op === 'withdrawn');
    if (withdrawing && this.opts.handover) this.addresses = await this.opts.handover.addresses(this.opts.service);
  }

  async do(step: Step): Promise<void> {
    const started = performance.now();
    try {
      await this.act(step);
    } finally {
      this.timings.push({ action: describeStep(step), ms: Math.round(performance.now() - started) });
    }
  }

  private async act(step: Step): Promise<void> {
    this.opts.reporter?.step?.(describeStep(step));
    if (step.op === 'create') {
      this.newId = await this.docker.create(step.name, step.body);
      this.changed = true; // a create the engine refused changed nothing
      return;
    }
    const id = this.resolve(step.container);
    if (step.op === 'start' || step.op === 'stop' || step.op === 'remove' || step.op === 'rename') {
      this.changed = true;
      this.lastTouched = id;
    }
    if (step.op === 'start') await this.docker.start(id);
    else if (step.op === 'stop') await this.docker.stop(id);
    else if (step.op === 'remove') await this.docker.remove(id);
    else if (step.op === 'rename') await this.docker.rename(id, step.to);
    else if (step.op === 'wait') this.ready = await this.waitReady(id);
    else await this.handOver(step.op, id);
  }

  /** Best effort: every undo step is tried; returns what failed (`step: reason`), empty when all succeeded. */
  async undo(steps: readonly Step[]): Promise<string[]> {
    const failures: string[] = [];
    for (const s of steps) {
      try {
        await this.do(s);
      } catch (error) {
        failures.push(`${describeStep(s)}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failures;
  }

  private waitReady(id: string): Promise<ContainerState> {
    return waitUntilReady(this.docker, id, {
      timeoutMs: this.opts.waitTimeoutMs,
      onWait: (s, ms) =>
        this.opts.reporter?.waiting?.(
          `waiting for ${id.slice(0, 12)}: ${s.health ?? s.status}, ${Math.round(ms / 1000)} s`,
        ),
    });
  }

  /** The waits on the agent and the gateways; skipped without an agent, and for a container never announced. */
  private async handOver(op: 'announced' | 'served' | 'withdrawn' | 'drain', id: string): Promise<void> {
    const { handover, service, waitTimeoutMs } = this.opts;
    if (handover === undefined) return;
    const progress = (text: string): void => this.opts.reporter?.waiting?.(text);
    if (op === 'announced') {
      try {
        this.announcedAddress = await handover.announced(id, waitTimeoutMs, progress);
      } catch (error) {
        throw await withLogs(this.docker, id, error);
      }
      this.addresses.set(id, this.announcedAddress);
      return;
    }
    const address = this.addresses.get(id);
    if (address === undefined) return;
    if (op === 'served') await handover.served(service, address, waitTimeoutMs, progress);
    else if (op === 'withdrawn') await handover.withdrawn(service, address, waitTimeoutMs, progress);
    else if (this.opts.drainMs > 0) await sleep(this.opts.drainMs);
  }

  private resolve(ref: ContainerRef): string {
    if (ref !== 'new') return ref.id;
    if (this.newId === undefined) throw new Error('plan refers to the new container before creating it');
    return this.newId;
  }
}

/** The error with the container's last log lines appended, as a failed start reports them. */
async function withLogs(docker: ContainerEngine, id: string, error: unknown): Promise<unknown> {
  if (!(error instanceof RundockError)) return error;
  const logs = await docker.lastLogLines(id).catch(() => '');
  error.message += logs ? `\n--- last log lines ---\n${logs}` : '\n(no log output)';
  error.details.logs = logs;
  return error;
}
