import type { DockerRuntime, ObservedContainer } from '../runtime/docker.js';
import type { PullEvent } from '../runtime/pull.js';
import { RundockError } from '../shared/errors.js';
import { LABEL } from '../spec/labels.js';
import { containerPort, type DesiredContainer } from '../plan/container-body.js';
import { envDigestKey } from '../plan/env-digest.js';
import { planService, type Plan } from '../plan/plan.js';
import { describeStep, executePlan, type Reporter } from './execute.js';
import type { Handover } from './handover.js';
import { ensureImage } from './image.js';
import { observedFrom } from './observe.js';
import type { PreparedService } from './prepare.js';

export interface ConvergeOptions {
  dryRun?: boolean | undefined;
  reporter?: Reporter | undefined;
  onPull?: ((event: PullEvent) => void) | undefined;
  /**
   * Finds the host's agent, to wait for announcements and gateways; asked only when the plan waits on them (a no-op
   * never does). Without one, Docker's readiness is all.
   */
  handover?: (() => Promise<Handover | undefined>) | undefined;
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
  /** How long each step took, in order, ms (empty in a dry run or when nothing ran). */
  timings: { action: string; ms: number }[];
  pulled: boolean;
  before: ContainerSummary | null;
  after: ContainerSummary | null;
  health: string | null;
  /** Where the service is published on the host; `auto` until Docker has bound a port (a dry run). */
  published: { ip: string; port: number | 'auto' } | null;
  announced: { as: string; port: number | 'auto' | null } | null;
  /** How the running container was replaced, if it was. */
  handover: 'overlap' | 'withdraw-first' | null;
  /** The address the agent announced the service at (`ip:port`), once it did; null without an agent. */
  address: string | null;
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
    desired === undefined
      ? undefined
      : prepared.pinnedImageId !== undefined
        ? pinnedImage(docker, prepared.pinnedImageId, spec.image ?? '')
        : ensureImage(docker, spec.image ?? '', spec.pull, opts),
    docker.list(),
  ]);
  const observed = observedFrom(all, spec.name, image?.imageId);
  const plan = planService(spec.name, spec.state, desired, observed);
  const result = baseResult(prepared, desired, plan, observed.main, image?.pulled ?? false, opts.dryRun ?? false);
  if (opts.dryRun) return result;
  const executed = await executePlan(docker, plan, {
    service: spec.name,
    waitTimeoutMs: prepared.waitTimeoutMs,
    drainMs: prepared.drainMs,
    handover: handsOver(plan) ? await opts.handover?.() : undefined,
    reporter: opts.reporter,
  });
  if (spec.state === 'absent') return result;
  const id = executed.containerId ?? observed.main?.id;
  const now = id === undefined ? undefined : (await docker.list()).find((c) => c.id === id);
  const bound =
    id !== undefined && desired?.published?.port === 'auto'
      ? await boundPort(docker, id, desired.published.ip, spec.port)
      : undefined;
  return {
    ...result,
    after: now ? summarize(now) : null,
    health: executed.ready?.health ?? null,
    published: result.published && bound !== undefined ? { ...result.published, port: bound } : result.published,
    announced:
      result.announced && result.announced.port === 'auto' && bound !== undefined
        ? { ...result.announced, port: bound }
        : result.announced,
    address: executed.announced ?? null,
    timings: executed.timings,
  };
}

/** A pinned image (a rollback's): it must still be on this host; nothing is pulled for it. */
async function pinnedImage(
  docker: DockerRuntime,
  imageId: string,
  ref: string,
): Promise<{ imageId: string; pulled: false }> {
  if ((await docker.imageId(imageId)) === undefined) {
    throw new RundockError(
      'RUNDOCK_E_IMAGE_MISSING',
      `image ${imageId} (${ref} when it was deployed) is no longer on this host`,
      {
        details: { image: ref, image_id: imageId },
      },
    );
  }
  return { imageId, pulled: false };
}

/** The host port Docker bound for the container port on `ip` (an `auto` announce port). */
async function boundPort(
  docker: DockerRuntime,
  id: string,
  ip: string,
  port: number | undefined,
): Promise<number | undefined> {
  const state = await docker.inspectIfExists(id);
  return state?.published.find((p) => p.containerPort === `${port}/tcp` && (p.hostIp === ip || p.hostIp === '0.0.0.0'))
    ?.hostPort;
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
  const steps = [...plan.steps.map((s) => s.step), ...plan.cleanup].filter((s) => plan.changed || !isWait(s));
  const announces = spec.announce_as === 'container' ? containerPort(spec) !== undefined : spec.announce !== undefined;
  return {
    name: spec.name,
    state: spec.state,
    changed: plan.changed,
    dry_run: dryRun,
    actions: steps.map(describeStep),
    timings: [],
    pulled,
    before: main ? summarize(main) : null,
    after: null,
    health: null,
    published: desired?.published ?? null,
    handover: plan.handover ?? null,
    address: null,
    announced:
      announces && spec.state === 'enabled'
        ? {
            as: spec.announce_as,
            port: spec.announce_as === 'container' ? (containerPort(spec) ?? null) : (spec.announce ?? null),
          }
        : null,
  };
}

/** Whether the plan waits on the agent or the gateways. */
function handsOver(plan: Plan): boolean {
  const ops = new Set(['announced', 'served', 'withdrawn']);
  return [...plan.steps.map((s) => s.step), ...plan.cleanup].some((s) => ops.has(s.op));
}

function isWait(s: { op: string }): boolean {
  return s.op === 'wait' || s.op === 'announced' || s.op === 'served';
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
