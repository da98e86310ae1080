import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeStep } from '../deploy/execute.js';
import type { ObservedContainer } from '../runtime/engine.js';
import { LABEL } from '../service-spec/labels.js';
import { planService, type Observed, type Plan } from './plan.js';
import { planRestart } from './restart.js';

function container(over: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: 'c0ffee'.padEnd(64, '0'),
    name: 'web',
    labels: { [LABEL.service]: 'web', [LABEL.specHash]: 'h1', [LABEL.announce]: '8080' },
    status: 'running',
    imageId: 'sha256:i1',
    mounts: [],
    ports: [],
    ...over,
  };
}
const observed = (main?: ObservedContainer): Observed => ({ main, leftovers: [], sharedVolumes: new Set() });
const ops = (plan: Plan): string[] => plan.steps.map((s) => describeStep(s.step));
const ref = 'web (c0ffee000000)';

describe('planRestart', () => {
  it('withdraws a running, announced container from every gateway, drains it, then stops and starts it', () => {
    const plan = planRestart('web', observed(container()));
    assert.equal(plan.changed, true);
    assert.equal(plan.handover, 'withdraw-first');
    assert.deepEqual(ops(plan), [
      `rename ${ref} to web_rundock_old`,
      `wait until no gateway serves ${ref}`,
      `let requests in flight to ${ref} finish`,
      `stop ${ref}`,
      `rename ${ref} to web`,
      `start ${ref}`,
      `wait until ${ref} is ready`,
      `wait until the agent announces ${ref}`,
      `wait until every gateway serves ${ref}`,
    ]);
    // A failure once it is stopped and named back: started again under its own name.
    const undo = plan.steps
      .slice(0, 5)
      .reverse()
      .flatMap((s) => s.undo)
      .map(describeStep);
    assert.deepEqual(undo, [`rename ${ref} to web_rundock_old`, `start ${ref}`, `rename ${ref} to web`]);
  });

  it('just stops and starts a container that announces nothing; just starts a stopped one', () => {
    const quiet = container({ labels: { [LABEL.service]: 'web', [LABEL.specHash]: 'h1' } });
    assert.deepEqual(ops(planRestart('web', observed(quiet))), [
      `stop ${ref}`,
      `start ${ref}`,
      `wait until ${ref} is ready`,
    ]);
    assert.deepEqual(ops(planRestart('web', observed(container({ status: 'exited' })))).slice(0, 2), [
      `start ${ref}`,
      `wait until ${ref} is ready`,
    ]);
  });

  it('refuses a service that is not deployed, and a container rundock did not create', () => {
    assert.throws(() => planRestart('web', observed()), { code: 'RUNDOCK_E_NOT_FOUND' });
    assert.throws(() => planRestart('web', observed(container({ labels: {} }))), {
      code: 'RUNDOCK_E_FOREIGN_CONTAINER',
    });
  });
});

describe('planService without a spec (a bare enable)', () => {
  it('starts a stopped container as it is, waits for a running one, and needs --image for none', () => {
    assert.deepEqual(ops(planService('web', 'enabled', undefined, observed(container({ status: 'exited' })))), [
      `start ${ref}`,
      `wait until ${ref} is ready`,
      `wait until the agent announces ${ref}`,
      `wait until every gateway serves ${ref}`,
    ]);
    const running = planService('web', 'enabled', undefined, observed(container()));
    assert.deepEqual([running.changed, ops(running)], [false, [`wait until ${ref} is ready`]]);
    assert.throws(() => planService('web', 'enabled', undefined, observed()), {
      code: 'RUNDOCK_E_INVALID_SPEC',
      field: 'image',
    });
    assert.throws(() => planService('web', 'disabled', undefined, observed()), { code: 'RUNDOCK_E_NOT_FOUND' });
  });
});
