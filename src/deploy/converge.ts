import type { DockerRuntime, ObservedContainer } from '../runtime/docker.js';
import type { PullEvent } from '../runtime/pull.js';
import { LABEL } from '../spec/labels.js';
import { containerPort, type DesiredContainer } from '../plan/container-body.js';
import { envDigestKey } from '../plan/env-digest.js';
import { planService, type Plan } from '../plan/plan.js';
import { describeStep, executePlan, type Reporter } from './execute.js';
import { ensureImage } from './image.js';
import { observedFrom } from './observe.js';
import type { PreparedService } from './prepare.js';

export interface ConvergeOptions {
  dryRun?: boolean | undefined;
  reporter?: Reporter | undefined;
  onPull?: ((event: PullEvent) => void) | undefined;
}

/** A service's container as reported in results (`--json` and Ansible facts). */
export interface ContainerSummary {
  id: string;
  name: string;
  status: string;
  image: string;
  image_id: string;
  spec_hash: string;
}

/** The outcome of one service; its fields are the documented `--json` shape. */
export interface ServiceResult {
  name: string;
  state: string;
  changed: boolean;
  dry_run: boolean;
  actions: string[];
  pulled: boolean;
  before: ContainerSummary | null;
  after: ContainerSummary | null;
  health: string | null;
  published: { ip: string; port: number } | null;
  announced: { as: string; port: number | null } | null;
}

/** Puts one prepared service into its state: pull per policy, observe, plan, then (unless dry run) act. */
export async function converge(
  docker: DockerRuntime,
  prepared: PreparedService,
  opts: ConvergeOptions = {},
): Promise<ServiceResult> {
  const { spec } = prepared;
  const desired = prepared.seal === undefined ? prepared.desired : prepared.seal(envDigestKey(await docker.engineId()));
  const [image, all] = await Promise.all([
    desired === undefined ? undefined : ensureImage(docker, spec.image ?? '', spec.pull, opts),
    docker.list(),
  ]);
  const observed = observedFrom(all, spec.name, image?.imageId);
  const plan = planService(spec.name, spec.state, desired, observed);
  const result = baseResult(prepared, desired, plan, observed.main, image?.pulled ?? false, opts.dryRun ?? false);
  if (opts.dryRun) return result;
  const executed = await executePlan(docker, plan, { waitTimeoutMs: prepared.waitTimeoutMs, reporter: opts.reporter });
  if (spec.state === 'absent') return result;
  const id = executed.containerId ?? observed.main?.id;
  const now = id === undefined ? undefined : (await docker.list()).find((c) => c.id === id);
  return { ...result, after: now ? summarize(now) : null, health: executed.ready?.health ?? null };
}

function baseResult(
  prepared: PreparedService,
  desired: DesiredContainer | undefined,
  plan: Plan,
  main: ObservedContainer | undefined,
  pulled: boolean,
  dryRun: boolean,
): ServiceResult {
  const { spec } = prepared;
  const steps = [...plan.prepare, ...plan.swap, ...plan.cleanup].filter((s) => s.op !== 'wait' || plan.changed);
  const announces = spec.announce_as === 'container' ? containerPort(spec) !== undefined : spec.announce !== undefined;
  return {
    name: spec.name,
    state: spec.state,
    changed: plan.changed,
    dry_run: dryRun,
    actions: steps.map(describeStep),
    pulled,
    before: main ? summarize(main) : null,
    after: null,
    health: null,
    published: desired?.published ?? null,
    announced:
      announces && spec.state === 'enabled'
        ? {
            as: spec.announce_as,
            port: spec.announce_as === 'container' ? (containerPort(spec) ?? null) : (spec.announce ?? null),
          }
        : null,
  };
}

function summarize(c: ObservedContainer): ContainerSummary {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    image: c.labels[LABEL.image] ?? '',
    image_id: c.imageId,
    spec_hash: c.labels[LABEL.specHash] ?? '',
  };
}
