import { RundockError, ValidationError } from '../shared/errors.js';
import { LABEL } from '../service-spec/labels.js';
import type { CreateBody } from '../service-spec/run-options.js';
import type { State } from '../service-spec/schema.js';
import type { ObservedContainer } from '../runtime/engine.js';
import type { DesiredContainer } from './container-body.js';
import { carryAnonymousVolumes } from './volumes.js';

/** A container a step acts on: one observed by ID, or the one this plan creates. */
export type ContainerRef = { id: string; name: string } | 'new';

/**
 * One step. Besides the engine calls, four wait on the rest of the system through the host's agent (deploy/handover):
 * `announced` until the agent has the container's record in the registry, `served` until every gateway that renders
 * the service has the container's address in its upstream, `withdrawn` until none has it any more, `drain` for the
 * drain time after that (in-flight requests finish). `wait` waits for Docker: running, and healthy when checked.
 */
export type Step =
  | { op: 'create'; name: string; body: CreateBody }
  | { op: 'start' | 'stop' | 'remove'; container: ContainerRef }
  | { op: 'rename'; container: ContainerRef; to: string }
  | { op: 'wait' | 'announced' | 'served' | 'withdrawn' | 'drain'; container: ContainerRef };

/** A step and the steps that undo it should a later step fail. */
export interface PlannedStep {
  step: Step;
  undo: Step[];
}

/**
 * How a running service is replaced: `overlap` starts the new container beside the old one and withdraws the old one
 * once the new one serves; `withdraw-first` (a fixed host port both cannot bind at once, or nothing announced)
 * withdraws and drains the old one, then swaps.
 */
export type Handover = 'overlap' | 'withdraw-first';

/**
 * Steps in order; when one fails, the undo steps of those done before it run in reverse order, so the old container
 * is back as it was. `cleanup` runs once the new container is in place; a failure there is reported, never undone.
 */
export interface Plan {
  changed: boolean;
  handover?: Handover | undefined;
  /**
   * Why this host's instance stops serving for a while (`withdraw-first` of a running, announced container): what
   * forbids the overlap, e.g. `its fixed host port 10.0.0.2:8080`, or `a restart stops the container`.
   */
  gap?: string | undefined;
  steps: PlannedStep[];
  cleanup: Step[];
}

/** What is on the engine now, for one service. */
export interface Observed {
  /** The container named after the service, if any (rundock's or not). */
  main?: ObservedContainer | undefined;
  /** This service's temporary containers left by an interrupted swap. */
  leftovers: readonly ObservedContainer[];
  /** Local image ID of the spec's image, if present. */
  imageId?: string | undefined;
  /** Volumes mounted by containers outside this service (data containers): never carried over. */
  sharedVolumes: ReadonlySet<string>;
}

/** Names of the temporary containers of a swap. */
export const nextName = (name: string): string => `${name}_rundock_next`;
export const oldName = (name: string): string => `${name}_rundock_old`;

const NEW = 'new' as const;
/** A step and its undo steps. */
export const step = (s: Step, ...undo: Step[]): PlannedStep => ({ step: s, undo });

/**
 * Decides the steps that put service `name` into `state`. Pure. `desired` is absent for `absent` and for a bare
 * `disabled`, which then acts on the existing container only.
 */
export function planService(
  name: string,
  state: State,
  desired: DesiredContainer | undefined,
  observed: Observed,
): Plan {
  const { main } = observed;
  const plan = cleanPlan(name, observed);
  if (state === 'absent') {
    if (main) plan.steps.push(...stopIfRunning(main).map((s) => step(s)), step(removeStep(main)));
  } else if (desired === undefined) {
    plan.steps.push(...asItIs(name, state, main));
  } else if (!main) {
    // A first deploy that fails keeps its container (nothing to go back to), for `docker logs` and `docker inspect`.
    // An interrupted swap's leftovers (removed first) hand their anonymous volumes on, as a replaced container does.
    const body = carryAnonymousVolumes(desired.body, observed.leftovers, observed.sharedVolumes);
    plan.steps.push(step({ op: 'create', name, body }));
    if (state === 'enabled') plan.steps.push(...startAndHandOver(NEW, announces(desired.body.Labels), false));
  } else if (isCurrent(main, desired, observed.imageId)) {
    const ref = refOf(main);
    if (state !== 'enabled') plan.steps.push(...stopIfRunning(main).map((s) => step(s)));
    else if (isRunning(main)) plan.steps.push(step({ op: 'wait', container: ref }));
    else plan.steps.push(...startAndHandOver(ref, announces(main.labels)));
  } else {
    planReplace(plan, name, state, desired, observed, main);
  }
  return withChanged(plan);
}

/**
 * A plan that first removes what an interrupted run left behind; refuses a container of the service's name that
 * rundock did not create (RUNDOCK_E_FOREIGN_CONTAINER).
 */
export function cleanPlan(name: string, observed: Observed): Plan {
  const { main } = observed;
  if (main !== undefined && main.labels[LABEL.service] !== name) {
    throw new RundockError(
      'RUNDOCK_E_FOREIGN_CONTAINER',
      `a container named ${name} exists that rundock did not create (${main.id.slice(0, 12)}); remove or rename it first`,
      { details: { container: main.id } },
    );
  }
  return { changed: false, steps: observed.leftovers.map((c) => step(removeStep(c))), cleanup: [] };
}

/** The plan with `changed` set: true when any step creates a container or calls the engine to change one. */
export function withChanged(plan: Plan): Plan {
  plan.changed = [...plan.steps.map((s) => s.step), ...plan.cleanup].some((s) => s.op === 'create' || isEngineCall(s));
  return plan;
}

/**
 * A service given without its spec (a bare `enable NAME`, `disable NAME`): its container as it is, started (and
 * handed over like any start) or stopped.
 */
function asItIs(name: string, state: State, main: ObservedContainer | undefined): PlannedStep[] {
  if (!main && state !== 'disabled') {
    // Not a failure: the command line lacks what it takes to create the service.
    throw new ValidationError(
      'image',
      undefined,
      `is required: service ${name} is not deployed on this host, so there is no container to ${state === 'enabled' ? 'start' : 'keep'} as it is`,
    );
  }
  if (!main) throw notDeployed(name);
  if (state !== 'enabled') return stopIfRunning(main).map((s) => step(s));
  return isRunning(main)
    ? [step({ op: 'wait', container: refOf(main) })]
    : startAndHandOver(refOf(main), announces(main.labels));
}

/** RUNDOCK_E_NOT_FOUND: nothing to act on without a spec. */
export function notDeployed(name: string): RundockError {
  return new RundockError(
    'RUNDOCK_E_NOT_FOUND',
    `service ${name} is not deployed on this host; give --image (and the rest of its spec) to create it`,
    { details: { service: name } },
  );
}

/** Create the new container beside the old one; the old one is removed only once the new one is in place. */
function planReplace(
  plan: Plan,
  name: string,
  state: State,
  desired: DesiredContainer,
  observed: Observed,
  main: ObservedContainer,
): void {
  const old = refOf(main);
  const body = carryAnonymousVolumes(desired.body, [main, ...observed.leftovers], observed.sharedVolumes);
  const newAnnounces = announces(body.Labels);
  const renames = [
    step({ op: 'rename', container: old, to: oldName(name) }, { op: 'rename', container: old, to: name }),
    step({ op: 'rename', container: NEW, to: name }, { op: 'rename', container: NEW, to: nextName(name) }),
  ] as const;
  plan.steps.push(step({ op: 'create', name: nextName(name), body }, { op: 'remove', container: NEW }));
  if (state !== 'enabled' || !isRunning(main)) {
    plan.steps.push(...stopIfRunning(main).map((s) => step(s, { op: 'start', container: old })), ...renames);
    if (state === 'enabled') plan.steps.push(...startAndHandOver(NEW, newAnnounces));
  } else if (canOverlap(body)) {
    plan.handover = 'overlap';
    plan.steps.push(...startAndHandOver(NEW, newAnnounces), ...renames);
    plan.cleanup.push(...withdraw(old, main), { op: 'stop', container: old });
  } else {
    plan.handover = 'withdraw-first';
    if (announces(main.labels)) plan.gap = overlapForbidden(body);
    // Renamed, the old container is no longer the service's: the agent withdraws its record.
    plan.steps.push(
      renames[0],
      ...withdraw(old, main).map((s) => step(s)),
      step({ op: 'stop', container: old }, { op: 'start', container: old }),
      renames[1],
      ...startAndHandOver(NEW, newAnnounces),
    );
  }
  plan.cleanup.push(removeStep(main));
}

/** Start, wait until ready, then (when it announces anything) until announced and in every gateway. */
export function startAndHandOver(ref: ContainerRef, announced: boolean, undoable = true): PlannedStep[] {
  const waits = announced ? (['wait', 'announced', 'served'] as const) : (['wait'] as const);
  const start: Step = { op: 'start', container: ref };
  return [
    undoable ? step(start, { op: 'stop', container: ref }) : step(start),
    ...waits.map((op) => step({ op, container: ref })),
  ];
}

/** Until no gateway serves the old container, then the drain time; nothing when it announced nothing. */
export function withdraw(old: ContainerRef, main: ObservedContainer): Step[] {
  return announces(main.labels)
    ? [
        { op: 'withdrawn', container: old },
        { op: 'drain', container: old },
      ]
    : [];
}

/** Whether a container with these labels has a record announced for it (when running and healthy). */
export function announces(labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return l[LABEL.announce] !== undefined || (l[LABEL.announceAs] === 'container' && l[LABEL.port] !== undefined);
}

/**
 * Whether the new container can run beside the old one: it binds no fixed host port (`announce: auto`, or announced
 * with the container's own address) and shares no host network, and it announces something to hand over.
 */
export function canOverlap(body: CreateBody): boolean {
  if (body.HostConfig.NetworkMode === 'host') return false;
  // dockerode types PortBindings as any.
  const map = (body.HostConfig.PortBindings ?? {}) as Record<string, { HostPort?: string }[] | null>;
  const bindings = Object.values(map);
  const fixed = (b: { HostPort?: string }): boolean =>
    b.HostPort !== undefined && b.HostPort !== '' && b.HostPort !== '0';
  return !bindings.some((list) => (list ?? []).some(fixed)) && announces(body.Labels);
}

/** What keeps a new container that announces something from running beside the old one (canOverlap false). */
function overlapForbidden(body: CreateBody): string {
  if (body.HostConfig.NetworkMode === 'host') return "it uses the host's network (the same port)";
  const map = (body.HostConfig.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>;
  const fixed = Object.values(map)
    .flatMap((list) => list ?? [])
    .filter((b) => b.HostPort !== undefined && b.HostPort !== '' && b.HostPort !== '0')
    .map((b) => `${b.HostIp || '0.0.0.0'}:${b.HostPort}`);
  return `its fixed host port${fixed.length > 1 ? 's' : ''} ${fixed.join(', ')}`;
}

function isCurrent(main: ObservedContainer, desired: DesiredContainer, imageId: string | undefined): boolean {
  return main.labels[LABEL.specHash] === desired.hash && imageId !== undefined && main.imageId === imageId;
}

export function isEngineCall(s: Step): boolean {
  return s.op === 'start' || s.op === 'stop' || s.op === 'remove' || s.op === 'rename';
}

/** Running, or being restarted by its restart policy: either way supervised. */
export function isRunning(c: Pick<ObservedContainer, 'status'>): boolean {
  return c.status === 'running' || c.status === 'restarting' || c.status === 'paused';
}

export function refOf(c: ObservedContainer): ContainerRef {
  return { id: c.id, name: c.name };
}

function stopIfRunning(c: ObservedContainer): Step[] {
  return isRunning(c) ? [{ op: 'stop', container: refOf(c) }] : [];
}

function removeStep(c: ObservedContainer): Step {
  return { op: 'remove', container: refOf(c) };
}
