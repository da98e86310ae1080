import {
  announces,
  cleanPlan,
  isRunning,
  notDeployed,
  oldName,
  refOf,
  startAndHandOver,
  step,
  withChanged,
  withdraw,
  type Observed,
  type Plan,
} from './plan.js';

/**
 * `rundock restart NAME`: the same container, stopped and started again, handed over like a fixed-port redeploy so
 * no gateway sends it a request while it is down: renamed (the agent withdraws it), dropped by every gateway, drained,
 * stopped, named back, started, and waited for until it is ready, announced and served. A stopped service is just
 * started. Pure.
 */
export function planRestart(name: string, observed: Observed): Plan {
  const { main } = observed;
  const plan = cleanPlan(name, observed);
  if (main === undefined) throw notDeployed(name);
  const ref = refOf(main);
  const announced = announces(main.labels);
  if (!isRunning(main)) {
    plan.steps.push(...startAndHandOver(ref, announced));
    return withChanged(plan);
  }
  plan.handover = 'withdraw-first';
  if (announced) {
    plan.gap = 'a restart stops the container';
    plan.steps.push(
      step({ op: 'rename', container: ref, to: oldName(name) }, { op: 'rename', container: ref, to: name }),
      ...withdraw(ref, main).map((s) => step(s)),
      step({ op: 'stop', container: ref }, { op: 'start', container: ref }),
      // Undone (newest first) by naming it back to the old name, so the first rename's undo restores it.
      step({ op: 'rename', container: ref, to: name }, { op: 'rename', container: ref, to: oldName(name) }),
    );
  } else {
    plan.steps.push(step({ op: 'stop', container: ref }, { op: 'start', container: ref }));
  }
  plan.steps.push(...startAndHandOver(ref, announced, false));
  return withChanged(plan);
}
