import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObservedContainer } from '../runtime/docker.js';
import { LABEL } from '../spec/labels.js';
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
    ...over,
  };
}

function observed(main?: ObservedContainer, extra: Partial<Observed> = {}): Observed {
  return { main, leftovers: [], imageId: 'sha256:i1', sharedVolumes: new Set(), ...extra };
}

const ops = (plan: Plan): string[] => [...plan.prepare, ...plan.swap, ...plan.cleanup].map(describeStep);

describe('planService', () => {
  it('creates, starts and waits for a new enabled service', () => {
    const plan = planService('web', 'enabled', desired, observed());
    assert.equal(plan.changed, true);
    assert.deepEqual(ops(plan), [
      'create web from img:1',
      'start the new container',
      'wait until the new container is ready',
    ]);
    assert.deepEqual(plan.rollback, []);
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
    assert.deepEqual(ops(plan), [
      'create web_rundock_next from img:1',
      'stop web (c0ffee000000)',
      'rename web (c0ffee000000) to web_rundock_old',
      'rename the new container to web',
      'start the new container',
      'wait until the new container is ready',
      'remove web (c0ffee000000)',
    ]);
    assert.deepEqual(plan.rollback.map(describeStep), [
      'remove the new container',
      'rename web (c0ffee000000) to web',
      'start web (c0ffee000000)',
    ]);
  });

  it('replaces when a new image ID stands behind the same tag', () => {
    const plan = planService('web', 'enabled', desired, observed(container(), { imageId: 'sha256:i2' }));
    assert.equal(plan.changed, true);
    assert.equal(plan.prepare[0]?.op, 'create');
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
    const create = plan.prepare[0];
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
    assert.equal(describeStep(plan.prepare[0]!), 'remove web_rundock_next (dead00000000)');
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
