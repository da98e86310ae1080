/**
 * One host for unit tests of the deploy (src/deploy): the memory engine (src/runtime/memory-engine.ts, which passes
 * the real engine's contract), a stand-in for the host's agent and its gateways at the deploy's hand-over seam (the
 * `Handover` of src/deploy/handover.ts), and one journal of what the deploy asked of both, in order: the exact steps
 * a test compares.
 */
import { converge, type ConvergeOptions, type ServiceResult } from '../../src/deploy/converge.js';
import { prepareService } from '../../src/deploy/prepare.js';
import { MemoryEngine } from '../../src/runtime/memory-engine.js';
import { RundockError } from '../../src/shared/errors.js';
import type { CreateBody } from '../../src/service-spec/run-options.js';
import { validateService } from '../../src/service-spec/validate.js';
import { AgentDouble } from './agent-double.js';

/** The host's private address: the one services are published and announced on. */
export const PRIVATE_IP = '127.0.0.1';

/** The memory engine, journaling every call that changes a container as `op NAME` (`(failed)` when refused). */
export class JournaledEngine extends MemoryEngine {
  constructor(private readonly journal: string[]) {
    super();
  }

  override create(name: string, body: CreateBody): Promise<string> {
    return this.journaled(`create ${name}`, () => super.create(name, body));
  }

  override async start(id: string): Promise<void> {
    return this.journaled(`start ${await this.nameOf(id)}`, () => super.start(id));
  }

  override async stop(id: string): Promise<void> {
    return this.journaled(`stop ${await this.nameOf(id)}`, () => super.stop(id));
  }

  override async remove(id: string): Promise<void> {
    return this.journaled(`remove ${await this.nameOf(id)}`, () => super.remove(id));
  }

  override async rename(id: string, name: string): Promise<void> {
    return this.journaled(`rename ${await this.nameOf(id)} to ${name}`, () => super.rename(id, name));
  }

  /** The container's name now, or its ID when it is gone. */
  async nameOf(id: string): Promise<string> {
    return (await this.inspectIfExists(id))?.name ?? id;
  }

  private async journaled<T>(line: string, call: () => Promise<T>): Promise<T> {
    const at = this.journal.push(line) - 1;
    try {
      return await call();
    } catch (error) {
      this.journal[at] = `${line} (failed)`;
      throw error;
    }
  }
}

/** What a test deploys: a spec as the CLI or a YAML file gives it, and how. */
export interface DeployOptions extends Omit<ConvergeOptions, 'handover'> {
  /** Whether an agent runs on the host (default true): without one the deploy waits on Docker only. */
  agent?: boolean;
  /** How long each wait may take, ms (the deploy's `--timeout`). */
  waitMs?: number;
  /** A rollback's image, by ID. */
  pinnedImageId?: string;
}

/**
 * Service `web` at `version` (image `web:<version>`): its port 8080 published on a host port Docker picks and
 * announced there, checked by Docker every 10 ms, drained for 20 ms once replaced; `more` adds or overrides fields.
 */
export function web(version: number, more: Record<string, unknown> = {}): Record<string, unknown> {
  const health = { cmd: 'true', interval: '10ms', retries: 1 };
  return { name: 'web', image: `web:${version}`, announce: 'auto', port: 8080, health, drain: '20ms', ...more };
}

/** A host with images `web:1`, `web:2` and `web:3`, each with a health check that passes (`healthCheck` to change). */
export class DeployHost {
  /** Every engine call that changes a container and every wait on the agent or the gateways, in order. */
  readonly journal: string[] = [];
  readonly engine = new JournaledEngine(this.journal);
  readonly agent = new AgentDouble(this.engine, this.journal);

  constructor() {
    for (const ref of ['web:1', 'web:2', 'web:3']) {
      this.engine.addImage(ref);
      this.engine.healthCheck(ref, 'healthy');
    }
  }

  /** Puts `raw` in place as `rundock enable` does: validated, prepared against this host, converged. */
  deploy(raw: Record<string, unknown>, o: DeployOptions = {}): Promise<ServiceResult> {
    const spec = validateService(raw);
    const host = { name: 'node-1', addresses: { private: PRIVATE_IP }, version: 'test' };
    const prepared = prepareService(spec, host, o.waitMs ?? 1000, o.pinnedImageId);
    const handover = o.agent === false ? undefined : async () => this.agent;
    return converge(this.engine, prepared, { ...o, handover });
  }

  /** Deploys, then empties the journal: what was there before the step a test looks at. */
  async given(raw: Record<string, unknown>, o: DeployOptions = {}): Promise<ServiceResult> {
    const result = await this.deploy(raw, o);
    this.clearJournal();
    return result;
  }

  clearJournal(): void {
    this.journal.length = 0;
  }

  /** Every container as `name status`, by name. */
  async containers(): Promise<string[]> {
    return (await this.engine.list()).map((c) => `${c.name} ${c.status}`).sort();
  }

  /** The container named `name`: its ID and when it last started. */
  async container(name: string): Promise<{ id: string; startedAt: string } | undefined> {
    const found = (await this.engine.list()).find((c) => c.name === name);
    return found && (await this.engine.inspect(found.id));
  }
}

/** The RundockError a deploy failed with; fails the test when it succeeded or failed otherwise. */
export async function failureOf(deploying: Promise<unknown>): Promise<RundockError> {
  const error = await deploying.then(
    () => new Error('the deploy succeeded'),
    (e: unknown) => e,
  );
  if (error instanceof RundockError) return error;
  throw error;
}
