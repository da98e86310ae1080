import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObservedContainer } from '../runtime/engine.js';
import { LABEL } from '../service-spec/labels.js';
import { describeStep } from '../deploy/execute.js';
import type { DesiredContainer } from './container-body.js';
import { planService, type Observed, type Plan } from './plan.js';

const desired: DesiredContainer = { body: { Image: 'img:1', HostConfig: {} }, hash: 'h1' };

function container(over: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: 'c0ffee'.padEnd(64, '0'),
    name: 'web',
    labels: { [LABEL.service]: 'web', [LABEL.specHash]: 'h1' },
    status: 'running',
    imageId: 'sha256:i1',
    mounts: [],
    ports: [],
    ...over,
  };
}

function observed(main?: ObservedContainer, extra: Partial<Observed> = {}): Observed {
  return { main, leftovers: [], imageId: 'sha256:i1', sharedVolumes: new Set(), ...extra };
}

const ops = (plan: Plan): string[] => [...plan.steps.map((s) => s.step), ...plan.cleanup].map(describeStep);
/** What runs if the step at `index` fails: the undo steps of those before it, newest first. */
const undoIfFails = (plan: Plan, index: number): string[] =>
  plan.steps
    .slice(0, index)
    .reverse()
    .flatMap((s) => s.undo)
    .map(describeStep);
const indexOf = (plan: Plan, text: string): number => plan.steps.findIndex((s) => describeStep(s.step) === text);

/** A body that announces on an `auto` port (nothing fixed on the host), and one with a fixed host port. */
const autoBody = {
  Image: 'img:1',
  Labels: { [LABEL.announce]: 'auto', [LABEL.port]: '8080' },
  HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '10.0.0.2', HostPort: '' }] } },
};
const fixedBody = {
  Image: 'img:1',
  Labels: { [LABEL.announce]: '8080' },
  HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '10.0.0.2', HostPort: '8080' }] } },
};

describe('planService', () => {
  it('creates, starts and waits for a new enabled service', () => {
    const plan = planService('web', 'enabled', desired, observed());
    assert.equal(plan.changed, true);
    assert.deepEqual(ops(plan), [
      'create web from img:1',
      'start the new container',
      'wait until the new container is ready',
    ]);
    assert.deepEqual(undoIfFails(plan, 2), [], 'a first deploy that fails keeps its container for inspection');
  });

  it('waits for the announcement and every gateway when the new service announces', () => {
    const plan = planService('web', 'enabled', { body: autoBody, hash: 'h1' }, observed());
    assert.deepEqual(ops(plan), [
      'create web from img:1',
      'start the new container',
      'wait until the new container is ready',
      'wait until the agent announces the new container',
      'wait until every gateway serves the new container',
    ]);
  });

  it('changes nothing for a current running service but still checks it is ready', () => {
    const plan = planService('web', 'enabled', desired, observed(container()));
    assert.equal(plan.changed, false);
    assert.deepEqual(ops(plan), ['wait until web (c0ffee000000) is ready']);
  });

  it('starts a current stopped service', () => {
    const plan = planService('web', 'enabled', desired, observed(container({ status: 'exited' })));
    assert.equal(plan.changed, true);
    assert.deepEqual(ops(plan), ['start web (c0ffee000000)', 'wait until web (c0ffee000000) is ready']);
  });

  for (const state of ['present', 'disabled'] as const) {
    it(`${state}: stops a running current container and is then idempotent`, () => {
      assert.deepEqual(ops(planService('web', state, desired, observed(container()))), ['stop web (c0ffee000000)']);
      const again = planService('web', state, desired, observed(container({ status: 'exited' })));
      assert.equal(again.changed, false);
      assert.deepEqual(ops(again), []);
    });
  }

  it('replaces on a spec change: create beside, swap names, start, remove the old one last', () => {
    const plan = planService('web', 'enabled', { ...desired, hash: 'h2' }, observed(container()));
    assert.equal(plan.changed, true);
    assert.equal(plan.handover, 'withdraw-first');
    assert.deepEqual(ops(plan), [
      'create web_rundock_next from img:1',
      'rename web (c0ffee000000) to web_rundock_old',
      'stop web (c0ffee000000)',
      'rename the new container to web',
      'start the new container',
      'wait until the new container is ready',
      'remove web (c0ffee000000)',
    ]);
    assert.deepEqual(undoIfFails(plan, indexOf(plan, 'wait until the new container is ready')), [
      'stop the new container',
      'rename the new container to web_rundock_next',
      'start web (c0ffee000000)',
      'rename web (c0ffee000000) to web',
      'remove the new container',
    ]);
  });

  it('overlaps an auto-port service: the new one serves before the old one is withdrawn, drained and stopped', () => {
    const old = container({ labels: { ...container().labels, [LABEL.announce]: 'auto' } });
    const plan = planService('web', 'enabled', { body: autoBody, hash: 'h2' }, observed(old));
    assert.equal(plan.handover, 'overlap');
    assert.deepEqual(ops(plan), [
      'create web_rundock_next from img:1',
      'start the new container',
      'wait until the new container is ready',
      'wait until the agent announces the new container',
      'wait until every gateway serves the new container',
      'rename web (c0ffee000000) to web_rundock_old',
      'rename the new container to web',
      'wait until no gateway serves web (c0ffee000000)',
      'let requests in flight to web (c0ffee000000) finish',
      'stop web (c0ffee000000)',
      'remove web (c0ffee000000)',
    ]);
    // A new version that never serves is removed; the old one was never touched.
    assert.deepEqual(undoIfFails(plan, indexOf(plan, 'wait until every gateway serves the new container')), [
      'stop the new container',
      'remove the new container',
    ]);
  });

  it('withdraws and drains first where a fixed host port forbids overlap, and puts the old one back on failure', () => {
    const old = container({ labels: { ...container().labels, [LABEL.announce]: '8080' } });
    const plan = planService('web', 'enabled', { body: fixedBody, hash: 'h2' }, observed(old));
    assert.equal(plan.handover, 'withdraw-first');
    assert.deepEqual(ops(plan), [
      'create web_rundock_next from img:1',
      'rename web (c0ffee000000) to web_rundock_old',
      'wait until no gateway serves web (c0ffee000000)',
      'let requests in flight to web (c0ffee000000) finish',
      'stop web (c0ffee000000)',
      'rename the new container to web',
      'start the new container',
      'wait until the new container is ready',
      'wait until the agent announces the new container',
      'wait until every gateway serves the new container',
      'remove web (c0ffee000000)',
    ]);
    assert.deepEqual(undoIfFails(plan, indexOf(plan, 'wait until the agent announces the new container')), [
      'stop the new container',
      'rename the new container to web_rundock_next',
      'start web (c0ffee000000)',
      'rename web (c0ffee000000) to web',
      'remove the new container',
    ]);
  });

  it('a fixed port published through args forbids overlap too', () => {
    const body = {
      ...autoBody,
      HostConfig: {
        PortBindings: { ...autoBody.HostConfig.PortBindings, '8083/tcp': [{ HostIp: '10.0.0.2', HostPort: '8083' }] },
      },
    };
    assert.equal(planService('web', 'enabled', { body, hash: 'h2' }, observed(container())).handover, 'withdraw-first');
  });

  it('replaces when a new image ID stands behind the same tag', () => {
    const plan = planService('web', 'enabled', desired, observed(container(), { imageId: 'sha256:i2' }));
    assert.equal(plan.changed, true);
    assert.equal(plan.steps[0]?.step.op, 'create');
  });

  it('carries anonymous volumes to the replacement but not volumes shared with data containers', () => {
    const anon = 'a'.repeat(64);
    const shared = 'b'.repeat(64);
    const mounts = [
      { type: 'volume', name: anon, source: '', destination: '/data' },
      { type: 'volume', name: shared, source: '', destination: '/shared' },
      { type: 'volume', name: 'named', source: '', destination: '/named' },
    ];
    const plan = planService(
      'web',
      'enabled',
      { ...desired, hash: 'h2' },
      observed(container({ mounts }), { sharedVolumes: new Set([shared]) }),
    );
    const create = plan.steps[0]?.step;
    assert.ok(create?.op === 'create');
    assert.deepEqual(create.body.HostConfig.Binds, [`${anon}:/data`]);
  });

  it('absent stops and removes, and is a no-op when nothing is there', () => {
    assert.deepEqual(ops(planService('web', 'absent', undefined, observed(container()))), [
      'stop web (c0ffee000000)',
      'remove web (c0ffee000000)',
    ]);
    assert.equal(planService('web', 'absent', undefined, observed()).changed, false);
  });

  it('removes leftovers of an interrupted swap first', () => {
    const leftover = container({ id: 'dead'.padEnd(64, '0'), name: 'web_rundock_next', status: 'created' });
    const plan = planService('web', 'enabled', desired, observed(container(), { leftovers: [leftover] }));
    assert.equal(plan.changed, true);
    assert.equal(describeStep(plan.steps[0]!.step), 'remove web_rundock_next (dead00000000)');
  });

  it("a service whose swap was interrupted after the old container was renamed keeps that container's volumes", () => {
    const anon = 'a'.repeat(64);
    const old = container({
      name: 'web_rundock_old',
      status: 'exited',
      mounts: [{ type: 'volume', name: anon, source: '', destination: '/data' }],
    });
    const plan = planService('web', 'enabled', desired, observed(undefined, { leftovers: [old] }));
    const create = plan.steps[1]?.step;
    assert.ok(create?.op === 'create');
    assert.deepEqual(create.body.HostConfig.Binds, [`${anon}:/data`]);
  });

  it('refuses a container of the same name that rundock did not create', () => {
    assert.throws(() => planService('web', 'absent', undefined, observed(container({ labels: {} }))), {
      code: 'RUNDOCK_E_FOREIGN_CONTAINER',
    });
  });

  it('a bare disable of a service that is not deployed is an error', () => {
    assert.throws(() => planService('web', 'disabled', undefined, observed()), { code: 'RUNDOCK_E_NOT_FOUND' });
  });
});
