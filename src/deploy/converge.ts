import type { ObservedContainer, PublishedPort, ContainerEngine } from '../runtime/engine.js';
import type { PullEvent } from '../runtime/pull.js';
import { RundockError } from '../shared/errors.js';
import type { DesiredContainer } from '../plan/container-body.js';
import { envDigestKey } from '../plan/env-digest.js';
import { isRunning, planService, type Observed, type Plan } from '../plan/plan.js';
import { planRestart } from '../plan/restart.js';
import { executePlan, type Executed, type Reporter } from './execute.js';
import type { Handover } from './handover.js';
import { ensureImage } from './image.js';
import { observedFrom } from './observe.js';
import { checkHostPorts, hostBindings, type HostBinding } from './ports.js';
import { defaultWaitMs, type PreparedService } from './prepare.js';
import { plannedResult, summarize, type ContainerSummary, type ServiceResult } from './result.js';

export type { ContainerSummary, ServiceResult } from './result.js';

export interface ConvergeOptions {
  dryRun?: boolean | undefined;
  reporter?: Reporter | undefined;
  onPull?: ((event: PullEvent) => void) | undefined;
  /**
   * Finds the host's agent, to wait for announcements and gateways; asked only when the plan waits on them (a no-op
   * never does). Without one, Docker's readiness is all.
   */
  handover?: (() => Promise<Handover | undefined>) | undefined;
  /** Restart the service's container as it is (`rundock restart`) instead of putting the spec in place. */
  restart?: boolean | undefined;
  /**
   * Told before a swap that takes this host's instance out of service for a while (withdraw first, a restart), with
   * what forbids the overlap (Plan.gap); in a dry run too.
   */
  onGap?: ((gap: string) => void) | undefined;
}

/** Puts one prepared service into its state: pull per policy, observe, plan, check, then (unless dry run) act. */
export async function converge(
  docker: ContainerEngine,
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
  const plan = opts.restart ? planRestart(spec.name, observed) : planService(spec.name, spec.state, desired, observed);
  const result = plannedResult(prepared, desired, plan, observed.main, image, opts.dryRun ?? false);
  // Before anything changes, and in a dry run too: a busy port would otherwise fail only at start.
  if (desired !== undefined && plan.steps.some((s) => s.step.op === 'create'))
    await checkHostPorts(bindingsOf(desired, observed), othersThan(all, observed), ownOf(observed));
  if (plan.gap !== undefined) opts.onGap?.(plan.gap);
  if (opts.dryRun) return result;
  const executed = await executePlan(docker, plan, {
    service: spec.name,
    waitTimeoutMs: prepared.waitTimeoutMs ?? (await existingWaitMs(docker, observed.main)),
    drainMs: prepared.drainMs,
    handover: handsOver(plan) ? await opts.handover?.() : undefined,
    reporter: opts.reporter,
  });
  if (spec.state === 'absent') return result;
  return finalResult(docker, result, executed.containerId ?? observed.main?.id, desired, spec.port, executed);
}

/** The result once the plan ran: the container now, its health, the port Docker bound, where it is announced. */
async function finalResult(
  docker: ContainerEngine,
  result: ServiceResult,
  id: string | undefined,
  desired: DesiredContainer | undefined,
  port: number | undefined,
  executed: Executed,
): Promise<ServiceResult> {
  // Nothing changed: the container is the one observed before, and the wait's inspect has its bound ports.
  const now = !result.changed && result.before?.id === id ? result.before : await summaryOf(docker, id);
  const bound =
    id !== undefined && desired?.published?.port === 'auto'
      ? executed.ready?.id === id
        ? boundOn(executed.ready.published, desired.published.ip, port)
        : await boundPort(docker, id, desired.published.ip, port)
      : undefined;
  return {
    ...result,
    after: now ?? null,
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

/** Whether the plan waits on the agent or the gateways. */
function handsOver(plan: Plan): boolean {
  const ops = new Set(['announced', 'served', 'withdrawn']);
  return [...plan.steps.map((s) => s.step), ...plan.cleanup].some((s) => ops.has(s.op));
}

/** The fixed host ports the new container binds; with `--network host`, the announced port it will listen on. */
function bindingsOf(desired: DesiredContainer, observed: Observed): HostBinding[] {
  const { published } = desired;
  const fixed =
    published !== undefined && published.port !== 'auto' ? { ip: published.ip, port: published.port } : undefined;
  if (published?.network !== 'host') return hostBindings(desired.body, fixed);
  // The service's own running container holds its port until the redeploy stops it.
  const own = [observed.main, ...observed.leftovers].some((c) => c !== undefined && isRunning(c));
  return fixed === undefined || own ? [] : [{ ...fixed, protocol: 'tcp', field: 'announce' }];
}

/** The service's own containers: its current one and an interrupted swap's leftovers. */
function ownOf(observed: Observed): ObservedContainer[] {
  return [...(observed.main === undefined ? [] : [observed.main]), ...observed.leftovers];
}

/** Every container but the service's own. */
function othersThan(all: readonly ObservedContainer[], observed: Observed): ObservedContainer[] {
  const own = new Set(ownOf(observed).map((c) => c.id));
  return all.filter((c) => !own.has(c.id));
}

/** How long to wait for a container started as it is: from its own health check. */
async function existingWaitMs(docker: ContainerEngine, main: ObservedContainer | undefined): Promise<number> {
  return defaultWaitMs(main === undefined ? undefined : (await docker.inspect(main.id)).healthcheck);
}

/** A pinned image (a rollback's): it must still be on this host; nothing is pulled for it. */
async function pinnedImage(
  docker: ContainerEngine,
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

/** The container `id` as results summarize it, from a fresh listing. */
async function summaryOf(docker: ContainerEngine, id: string | undefined): Promise<ContainerSummary | undefined> {
  const found = id === undefined ? undefined : (await docker.list()).find((c) => c.id === id);
  return found && summarize(found);
}

/** The host port Docker bound for the container port on `ip` (an `auto` announce port). */
async function boundPort(
  docker: ContainerEngine,
  id: string,
  ip: string,
  port: number | undefined,
): Promise<number | undefined> {
  return boundOn((await docker.inspectIfExists(id))?.published ?? [], ip, port);
}

function boundOn(published: readonly PublishedPort[], ip: string, port: number | undefined): number | undefined {
  return published.find((p) => p.containerPort === `${port}/tcp` && (p.hostIp === ip || p.hostIp === '0.0.0.0'))
    ?.hostPort;
}
