/**
 * converge's own decisions, before and around the plan: a dry run, the checks made before anything changes, what an
 * interrupted run left, the states other than enabled, and the pull policy. Against the memory engine and the agent's
 * stand-in (test/support/deploy-host.ts), comparing the exact engine calls and waits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeployHost, failureOf, web } from '../../test/support/deploy-host.js';
import { freePort } from '../../test/support/free-port.js';
import { ValidationError } from '../shared/errors.js';
import { LABEL } from '../service-spec/labels.js';

describe('converge', () => {
  it('a dry run reports the plan and calls nothing', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    const result = await host.deploy(web(2), { dryRun: true });
    assert.equal(result.changed, true);
    assert.equal(result.handover, 'overlap');
    assert.equal(result.actions[0], 'create web_rundock_next from web:2');
    assert.deepEqual(host.journal, []);
    assert.deepEqual(await host.containers(), ['web running']);
  });

  it('refuses a fixed port another container publishes, before anything changes', async () => {
    const host = new DeployHost();
    const port = await freePort();
    await host.given({ ...web(1, { announce: port }), name: 'other' });
    const error = await failureOf(host.deploy(web(1, { announce: port })));
    assert.ok(error instanceof ValidationError);
    assert.equal(error.code, 'RUNDOCK_E_PORT_IN_USE');
    assert.equal(error.field, 'announce');
    assert.match(error.message, /by container other/);
    assert.deepEqual(host.journal, []);
  });

  it('removes what an interrupted swap left before it plans, then replaces as usual', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    await host.engine.create('web_rundock_next', {
      Image: 'web:2',
      Labels: { [LABEL.service]: 'web' },
      HostConfig: {},
    });
    host.clearJournal();
    await host.deploy(web(2));
    assert.deepEqual(host.journal.slice(0, 3), [
      'remove web_rundock_next',
      'create web_rundock_next',
      'start web_rundock_next',
    ]);
    assert.deepEqual(await host.containers(), ['web running']);
  });

  it("refuses a container of the service's name that rundock did not create, and touches nothing", async () => {
    const host = new DeployHost();
    await host.engine.create('web', { Image: 'web:1', HostConfig: {} });
    host.clearJournal();
    const error = await failureOf(host.deploy(web(1)));
    assert.equal(error.code, 'RUNDOCK_E_FOREIGN_CONTAINER');
    assert.deepEqual(host.journal, []);
  });

  for (const [state, journal, left] of [
    ['disabled', ['stop web'], ['web exited']],
    ['present', ['stop web'], ['web exited']],
    ['absent', ['stop web', 'remove web'], []],
  ] as const) {
    it(`${state}: ${journal.join(', ')}; then a second run calls nothing`, async () => {
      const host = new DeployHost();
      await host.given(web(1));
      const spec = state === 'absent' ? { name: 'web', state } : web(1, { state });
      assert.equal((await host.deploy(spec)).changed, true);
      assert.deepEqual(host.journal, journal);
      assert.deepEqual(await host.containers(), left);
      host.clearJournal();
      assert.equal((await host.deploy(spec)).changed, false);
      assert.deepEqual(host.journal, []);
    });
  }

  it('pull always: a new image behind the same tag is pulled and replaces the container', async () => {
    const host = new DeployHost();
    host.engine.publishImage('web:1', host.engine.addImage('web:1'));
    await host.given(web(1, { pull: 'always' }));
    host.engine.publishImage('web:1', 'sha256:web1-rebuilt');
    host.engine.healthCheck('sha256:web1-rebuilt', 'healthy');
    const result = await host.deploy(web(1, { pull: 'always' }));
    assert.equal(result.pulled, true);
    assert.equal(result.after?.image_id, 'sha256:web1-rebuilt');
    assert.deepEqual(host.journal.slice(0, 2), ['create web_rundock_next', 'start web_rundock_next']);
  });

  it('a pull the registry refuses creates nothing', async () => {
    const host = new DeployHost();
    const error = await failureOf(host.deploy(web(1, { image: 'web:missing', pull: 'missing' })));
    assert.equal(error.code, 'RUNDOCK_E_PULL_FAILED');
    assert.deepEqual(host.journal, []);
  });
});
