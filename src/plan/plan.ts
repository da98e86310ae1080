import { RundockError } from '../shared/errors.js';
import { LABEL } from '../spec/labels.js';
import type { CreateBody } from '../spec/run-options.js';
import type { State } from '../spec/schema.js';
import type { ObservedContainer } from '../runtime/docker.js';
import type { DesiredContainer } from './container-body.js';
import { carryAnonymousVolumes } from './volumes.js';

/** A container a step acts on: one observed by ID, or the one this plan creates. */
export type ContainerRef = { id: string; name: string } | 'new';

export type Step =
  | { op: 'create'; name: string; body: CreateBody }
  | { op: 'start' | 'stop' | 'remove'; container: ContainerRef }
  | { op: 'rename'; container: ContainerRef; to: string }
  | { op: 'wait'; container: ContainerRef };

/**
 * Steps in three phases. `prepare` and `swap` run in order; if a swap step fails, `rollback` restores the old
 * container. `cleanup` runs after the new container is in place.
 */
export interface Plan {
  changed: boolean;
  prepare: Step[];
  swap: Step[];
  rollback: Step[];
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
  if (main !== undefined && main.labels[LABEL.service] !== name) {
    throw new RundockError(
      'RUNDOCK_E_FOREIGN_CONTAINER',
      `a container named ${name} exists that rundock did not create (${main.id.slice(0, 12)}); remove or rename it first`,
      { details: { container: main.id } },
    );
  }
  const plan: Plan = {
    changed: false,
    prepare: observed.leftovers.map((c) => removeStep(c)),
    swap: [],
    rollback: [],
    cleanup: [],
  };
  if (state === 'absent') {
    if (main) plan.swap.push(...stopIfRunning(main), removeStep(main));
  } else if (desired === undefined) {
    if (!main)
      throw new RundockError(
        'RUNDOCK_E_NOT_FOUND',
        `service ${name} is not deployed on this host; give --image to create it`,
      );
    plan.swap.push(...stopIfRunning(main));
  } else if (!main) {
    plan.prepare.push({ op: 'create', name, body: desired.body });
    if (state === 'enabled') plan.swap.push({ op: 'start', container: 'new' }, { op: 'wait', container: 'new' });
  } else if (isCurrent(main, desired, observed.imageId)) {
    const ref = refOf(main);
    if (state === 'enabled')
      plan.swap.push(...(isRunning(main) ? [] : [{ op: 'start', container: ref } as const]), {
        op: 'wait',
        container: ref,
      });
    else plan.swap.push(...stopIfRunning(main));
  } else {
    planReplace(plan, name, state, desired, observed, main);
  }
  plan.changed = [...plan.prepare, ...plan.swap, ...plan.cleanup].some((step) => step.op !== 'wait');
  return plan;
}

/** Create the new container beside the old one, then swap names; the old one is removed only once the new one runs. */
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
  plan.prepare.push({ op: 'create', name: nextName(name), body });
  plan.swap.push(
    ...stopIfRunning(main),
    { op: 'rename', container: old, to: oldName(name) },
    { op: 'rename', container: 'new', to: name },
  );
  if (state === 'enabled') plan.swap.push({ op: 'start', container: 'new' }, { op: 'wait', container: 'new' });
  plan.cleanup.push(removeStep(main));
  plan.rollback.push({ op: 'remove', container: 'new' }, { op: 'rename', container: old, to: name });
  if (isRunning(main)) plan.rollback.push({ op: 'start', container: old });
}

function isCurrent(main: ObservedContainer, desired: DesiredContainer, imageId: string | undefined): boolean {
  return main.labels[LABEL.specHash] === desired.hash && imageId !== undefined && main.imageId === imageId;
}

/** Running, or being restarted by its restart policy: either way supervised. */
export function isRunning(c: Pick<ObservedContainer, 'status'>): boolean {
  return c.status === 'running' || c.status === 'restarting' || c.status === 'paused';
}

function refOf(c: ObservedContainer): ContainerRef {
  return { id: c.id, name: c.name };
}

function stopIfRunning(c: ObservedContainer): Step[] {
  return isRunning(c) ? [{ op: 'stop', container: refOf(c) }] : [];
}

function removeStep(c: ObservedContainer): Step {
  return { op: 'remove', container: refOf(c) };
}
