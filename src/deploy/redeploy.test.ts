/**
 * The decisions of a redeploy, run against the memory engine and the agent's stand-in at the hand-over seam
 * (test/support/deploy-host.ts): each test compares the exact engine calls and waits, in order, and what is left on
 * the host. test/integration/redeploy*.test.ts prove the same against dockerd, an agent and nginx.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort } from '../../test/support/free-port.js';
import { DeployHost, failureOf, web } from '../../test/support/deploy-host.js';

describe('a first deploy', () => {
  it('creates, starts, waits until announced and served, and reports the port Docker bound', async () => {
    const host = new DeployHost();
    const result = await host.deploy(web(1));
    assert.deepEqual(host.journal, ['create web', 'start web', 'announced web', 'served 127.0.0.1:32768']);
    assert.deepEqual(result.published, { ip: '127.0.0.1', port: 32768 });
    assert.deepEqual(result.announced, { as: 'private', port: 32768 });
    assert.equal(result.address, '127.0.0.1:32768');
    assert.equal(result.health, 'healthy');
    assert.deepEqual(await host.containers(), ['web running']);
  });

  it('waits on Docker alone when no agent runs on the host', async () => {
    const host = new DeployHost();
    const result = await host.deploy(web(1), { agent: false });
    assert.deepEqual(host.journal, ['create web', 'start web']);
    assert.equal(result.address, null);
  });

  it('an identical second run calls nothing that changes a container and waits on no agent', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    const before = await host.container('web');
    const result = await host.deploy(web(1));
    assert.equal(result.changed, false);
    assert.deepEqual(host.journal, []);
    assert.deepEqual(await host.container('web'), before);
  });
});

describe('a redeploy', () => {
  it('overlaps with an auto port: the new one serves before the old one is withdrawn, drained, stopped, removed', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    const result = await host.deploy(web(2));
    assert.deepEqual(host.journal, [
      'create web_rundock_next',
      'start web_rundock_next',
      'announced web_rundock_next',
      'served 127.0.0.1:32769',
      'rename web to web_rundock_old',
      'rename web_rundock_next to web',
      'withdrawn 127.0.0.1:32768',
      'stop web_rundock_old',
      'remove web_rundock_old',
    ]);
    assert.equal(result.handover, 'overlap');
    assert.equal(result.address, '127.0.0.1:32769');
    assert.deepEqual(result.published, { ip: '127.0.0.1', port: 32769 });
    const drain = result.timings.find((t) => t.action.startsWith('let requests in flight'));
    assert.ok(drain !== undefined && drain.ms >= 19, `drained 20 ms before the stop: ${JSON.stringify(drain)}`);
    assert.deepEqual(await host.containers(), ['web running']);
  });

  it('with a fixed host port: withdraws and drains the old one, stops it, then swaps and starts the new one', async () => {
    const host = new DeployHost();
    const port = await freePort();
    await host.given(web(1, { announce: port }));
    const result = await host.deploy(web(2, { announce: port }));
    assert.deepEqual(host.journal, [
      'create web_rundock_next',
      'rename web to web_rundock_old',
      `withdrawn 127.0.0.1:${port}`,
      'stop web_rundock_old',
      'rename web_rundock_next to web',
      'start web',
      'announced web',
      `served 127.0.0.1:${port}`,
      'remove web_rundock_old',
    ]);
    assert.equal(result.handover, 'withdraw-first');
    assert.equal(result.address, `127.0.0.1:${port}`);
    assert.deepEqual(await host.containers(), ['web running']);
  });

  it('removes a successor Docker finds unhealthy and keeps the old one, untouched', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    const before = await host.container('web');
    host.engine.healthCheck('web:2', 'unhealthy');
    const error = await failureOf(host.deploy(web(2)));
    assert.equal(error.code, 'RUNDOCK_E_UNHEALTHY');
    assert.equal(error.details.rolled_back, true);
    assert.match(error.message, /is unhealthy[\s\S]*the previous container was restored/);
    assert.deepEqual(host.journal, [
      'create web_rundock_next',
      'start web_rundock_next',
      'stop web_rundock_next',
      'remove web_rundock_next',
    ]);
    assert.deepEqual(await host.containers(), ['web running']);
    assert.deepEqual(await host.container('web'), before, 'the same container, never restarted');
    assert.deepEqual([...(await host.agent.addresses('web')).values()], ['127.0.0.1:32768'], 'still announced');
  });

  it('removes a successor the agent never announces (its probe fails) and keeps the old one', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    const before = await host.container('web');
    await host.agent.failProbe('web:2');
    const error = await failureOf(host.deploy(web(2), { waitMs: 200 }));
    assert.equal(error.code, 'RUNDOCK_E_UNHEALTHY');
    assert.match(error.message, /probe: unhealthy\n\(no log output\)\nthe previous container was restored$/);
    assert.deepEqual(host.journal, [
      'create web_rundock_next',
      'start web_rundock_next',
      'announced web_rundock_next',
      'stop web_rundock_next',
      'remove web_rundock_next',
    ]);
    assert.deepEqual(await host.container('web'), before);
  });

  it('a gateway that never serves the successor: removed, and the old one keeps serving', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    await host.agent.holdGateways();
    const error = await failureOf(host.deploy(web(2), { waitMs: 100 }));
    assert.equal(error.code, 'RUNDOCK_E_GATEWAY_TIMEOUT');
    assert.deepEqual(host.journal, [
      'create web_rundock_next',
      'start web_rundock_next',
      'announced web_rundock_next',
      'served 127.0.0.1:32769',
      'stop web_rundock_next',
      'remove web_rundock_next',
    ]);
    assert.deepEqual(await host.containers(), ['web running']);
  });
});

describe('a restart', () => {
  it('withdraws, drains and stops the container, names it back, then starts it and waits until it serves', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    const before = await host.container('web');
    const result = await host.deploy(web(1), { restart: true });
    assert.equal(result.handover, 'withdraw-first');
    assert.deepEqual(host.journal, [
      'rename web to web_rundock_old',
      'withdrawn 127.0.0.1:32768',
      'stop web_rundock_old',
      'rename web_rundock_old to web',
      'start web',
      'announced web',
      'served 127.0.0.1:32769', // started again, it binds the next port Docker picks
    ]);
    const after = await host.container('web');
    assert.equal(after?.id, before?.id, 'the same container');
    assert.notEqual(after?.startedAt, before?.startedAt, 'started again');
  });
});
