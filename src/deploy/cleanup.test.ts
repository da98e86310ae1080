/**
 * When putting things back is not the answer: a failure once the new container is in place (the cleanup of a
 * redeploy) is reported and never undone, an undo step that fails is reported beside the error, and in both cases the
 * next run clears what was left. Against the memory engine and the agent's stand-in (test/support/deploy-host.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeployHost, failureOf, web } from '../../test/support/deploy-host.js';

/**
 * What an overlap from version 1 to 2 asks up to the swap of names (redeploy.test.ts checks it step by step): the new
 * container serves under the service's name.
 */
async function untilSwapped(): Promise<string[]> {
  const host = new DeployHost();
  await host.given(web(1));
  await host.deploy(web(2));
  return host.journal.slice(0, host.journal.indexOf('rename web_rundock_next to web') + 1);
}
const SWAPPED = await untilSwapped();

describe('a failure in the cleanup after the swap', () => {
  it('a gateway that keeps the old one: reported, the old one left running for it, the new one serving', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    host.agent.failNext('withdrawn');
    const error = await failureOf(host.deploy(web(2)));
    assert.equal(error.code, 'RUNDOCK_E_GATEWAY_TIMEOUT');
    assert.equal(error.details.changed, true);
    assert.equal(error.details.rolled_back, undefined, 'nothing undone');
    assert.deepEqual(host.journal, [...SWAPPED, 'withdrawn 127.0.0.1:32768']);
    assert.deepEqual(await host.containers(), ['web running', 'web_rundock_old running']);
    assert.deepEqual([...(await host.agent.addresses('web')).values()], ['127.0.0.1:32769']);
  });

  it('an old container that cannot be removed: reported; the next run removes it and changes nothing else', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    host.engine.failNext('remove', 'web_rundock_old');
    const error = await failureOf(host.deploy(web(2)));
    assert.equal(error.code, 'RUNDOCK_E_DOCKER');
    assert.equal(error.details.changed, true);
    assert.deepEqual(host.journal, [
      ...SWAPPED,
      'withdrawn 127.0.0.1:32768',
      'stop web_rundock_old',
      'remove web_rundock_old (failed)',
    ]);
    assert.deepEqual(await host.containers(), ['web running', 'web_rundock_old exited']);
    host.clearJournal();
    const next = await host.deploy(web(2));
    assert.equal(next.changed, true);
    assert.deepEqual(host.journal, ['remove web_rundock_old']);
    assert.deepEqual(await host.containers(), ['web running']);
  });
});

describe('an undo step that fails', () => {
  it('is named in the error, the rest of the undo still runs, and the next run removes what it left', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    host.agent.failNext('served');
    host.engine.failNext('remove', 'web_rundock_next', 'device or resource busy');
    const error = await failureOf(host.deploy(web(2)));
    assert.equal(error.code, 'RUNDOCK_E_GATEWAY_TIMEOUT');
    assert.equal(error.details.rolled_back, false);
    const id = (await host.container('web_rundock_next'))?.id ?? '';
    assert.deepEqual(error.details.rollback_failures, [
      `remove the new container: remove ${id}: device or resource busy`,
    ]);
    assert.match(error.message, /\nrestoring the previous container failed: remove the new container: /);
    assert.deepEqual(host.journal, [
      ...SWAPPED.slice(0, 4),
      'stop web_rundock_next',
      'remove web_rundock_next (failed)',
    ]);
    assert.deepEqual(await host.containers(), ['web running', 'web_rundock_next exited']);
    host.clearJournal();
    await host.deploy(web(1));
    assert.deepEqual(host.journal, ['remove web_rundock_next']);
  });
});
