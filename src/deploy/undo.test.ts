/**
 * A redeploy that fails at each of its steps in turn, against the memory engine and the agent's stand-in
 * (test/support/deploy-host.ts): the steps done are undone newest first, and the old container is back in its place,
 * serving. A failure once the new container is in place (the cleanup) is reported and never undone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Wait } from '../../test/support/agent-double.js';
import { freePort } from '../../test/support/free-port.js';
import { DeployHost, failureOf, web } from '../../test/support/deploy-host.js';
import { waitFor } from '../../test/support/wait.js';
import type { EngineCall } from '../runtime/memory-engine.js';

interface Case {
  /** The step that fails. */
  step: string;
  /** Makes it fail. */
  inject(host: DeployHost): void;
  code: string;
  /** The engine calls and waits, in order, the failed one marked. */
  journal: string[];
  /** Whether the old container ran all along (false: stopped and started again). */
  untouched: boolean;
}

/** Deploys version 1, makes one step of the redeploy to version 2 fail, and checks what ran and what is left. */
async function failAt(c: Case, announce: number | 'auto'): Promise<void> {
  const host = new DeployHost();
  await host.given(web(1, { announce }));
  const before = await host.container('web');
  c.inject(host);
  const error = await failureOf(host.deploy(web(2, { announce }), { waitMs: 100 }));
  assert.equal(error.code, c.code);
  assert.deepEqual(host.journal, c.journal);
  const undid = c.journal.at(-1)?.endsWith('(failed)') === false;
  assert.equal(error.details.rolled_back, undid ? true : undefined);
  assert.equal(error.details.changed, undid, 'changed only when a step before the failed one changed something');
  assert.deepEqual(await host.containers(), ['web running']);
  const now = await host.container('web');
  assert.equal(now?.id, before?.id, 'the old container is back');
  if (c.untouched) assert.equal(now?.startedAt, before?.startedAt, 'never stopped');
  // Started again, it is announced once its health check passes.
  const address = `127.0.0.1:${announce === 'auto' ? 32768 : announce}`;
  const announced = async (): Promise<string[]> => [...(await host.agent.addresses('web')).values()];
  await waitFor(async () => (await announced()).length > 0, 2000, 5, 'the old container announced again');
  assert.deepEqual(await announced(), [address]);
}

/** The next `call` on container `name` is refused by Docker. */
const refused = (call: EngineCall, name: string, journal: string[], untouched = true): Case => ({
  step: `${call} ${name}`,
  inject: (h) => h.engine.failNext(call, name),
  code: 'RUNDOCK_E_DOCKER',
  journal,
  untouched,
});
/** The next `wait` on the agent or the gateways runs out of time. */
const timesOut = (wait: Wait, journal: string[], untouched = true): Case => ({
  step: `wait until ${wait}`,
  inject: (h) => h.agent.failNext(wait),
  code: wait === 'announced' ? 'RUNDOCK_E_UNHEALTHY' : 'RUNDOCK_E_GATEWAY_TIMEOUT',
  journal,
  untouched,
});
/** Docker's health check of the new version fails. */
const unhealthy = (journal: string[], untouched = true): Case => ({
  step: 'wait until ready (Docker health check)',
  inject: (h) => h.engine.healthCheck('web:2', 'unhealthy'),
  code: 'RUNDOCK_E_UNHEALTHY',
  journal,
  untouched,
});
const CREATE_REFUSED = refused('create', 'web_rundock_next', ['create web_rundock_next (failed)']);
const REMOVE_NEW = ['stop web_rundock_next', 'remove web_rundock_next'];

describe('a failed overlap (auto port) undoes what it did, newest first', () => {
  const started = ['create web_rundock_next', 'start web_rundock_next'];
  const serves = [...started, 'announced web_rundock_next', 'served 127.0.0.1:32769'];
  const cases: Case[] = [
    CREATE_REFUSED,
    refused('start', 'web_rundock_next', [
      ...started.slice(0, 1),
      'start web_rundock_next (failed)',
      'remove web_rundock_next',
    ]),
    unhealthy([...started, ...REMOVE_NEW]),
    timesOut('announced', [...started, 'announced web_rundock_next', ...REMOVE_NEW]),
    timesOut('served', [...serves, ...REMOVE_NEW]),
    refused('rename', 'web', [...serves, 'rename web to web_rundock_old (failed)', ...REMOVE_NEW]),
    refused('rename', 'web_rundock_next', [
      ...serves,
      'rename web to web_rundock_old',
      'rename web_rundock_next to web (failed)',
      'rename web_rundock_old to web',
      ...REMOVE_NEW,
    ]),
  ];
  for (const c of cases) it(`at ${c.step}`, () => failAt(c, 'auto'));
});

/** The fixed host port of the withdraw-first cases (each on an engine of its own; free on this host too). */
const PORT = await freePort();

describe('a failed withdraw-first swap (fixed port) undoes what it did, newest first', () => {
  const withdrawn = ['create web_rundock_next', 'rename web to web_rundock_old', `withdrawn 127.0.0.1:${PORT}`];
  const swapped = [...withdrawn, 'stop web_rundock_old', 'rename web_rundock_next to web'];
  const nameBack = 'rename web to web_rundock_next';
  const putBack = ['start web_rundock_old', 'rename web_rundock_old to web', 'remove web_rundock_next'];
  const cases: Case[] = [
    CREATE_REFUSED,
    refused('rename', 'web', [
      'create web_rundock_next',
      'rename web to web_rundock_old (failed)',
      'remove web_rundock_next',
    ]),
    // The drain after it only waits: it cannot fail.
    timesOut('withdrawn', [...withdrawn, 'rename web_rundock_old to web', 'remove web_rundock_next']),
    refused('stop', 'web_rundock_old', [
      ...withdrawn,
      'stop web_rundock_old (failed)',
      'rename web_rundock_old to web',
      'remove web_rundock_next',
    ]),
    refused(
      'rename',
      'web_rundock_next',
      [...withdrawn, 'stop web_rundock_old', 'rename web_rundock_next to web (failed)', ...putBack],
      false,
    ),
    refused('start', 'web', [...swapped, 'start web (failed)', nameBack, ...putBack], false),
    unhealthy([...swapped, 'start web', 'stop web', nameBack, ...putBack], false),
    timesOut('announced', [...swapped, 'start web', 'announced web', 'stop web', nameBack, ...putBack], false),
    timesOut(
      'served',
      [...swapped, 'start web', 'announced web', `served 127.0.0.1:${PORT}`, 'stop web', nameBack, ...putBack],
      false,
    ),
  ];
  for (const c of cases) it(`at ${c.step}`, () => failAt(c, PORT));
});
