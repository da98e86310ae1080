import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  ADDRESSES,
  freePort,
  httpGet,
  HTTPD,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundockJson,
  uniqueName,
} from './harness.js';

type State = 'enabled' | 'present' | 'disabled' | 'absent';
const VERB: Record<State, string> = { enabled: 'enable', present: 'present', disabled: 'disable', absent: 'absent' };
const created: string[] = [];
after(() => removeContainers(...created));

async function put(state: State, name: string, port: number): Promise<{ code: number; json: Record<string, unknown> }> {
  const spec =
    state === 'absent' ? [] : ['--image', IMAGE, '--cmd', HTTPD, '--announce', String(port), '--port', '8080'];
  return rundockJson([VERB[state], name, ...spec, ...ADDRESSES]);
}

/** Asserts the container is in `state` as Docker sees it. */
async function assertState(name: string, state: State): Promise<void> {
  const info = await inspectContainer(name);
  if (state === 'absent') return assert.equal(info, undefined, `${name} should be gone`);
  assert.ok(info, `${name} should exist`);
  assert.equal(info.State.Running, state === 'enabled', `${name} running should be ${state === 'enabled'}`);
  assert.equal(info.HostConfig.RestartPolicy?.Name, 'unless-stopped');
}

describe('the four states', () => {
  it('enable starts a reachable service on the announced port; a second run changes nothing', async () => {
    const name = uniqueName();
    created.push(name);
    const port = await freePort();
    const first = await put('enabled', name, port);
    assert.equal(first.code, 0, JSON.stringify(first.json));
    assert.equal(first.json.changed, true);
    assert.deepEqual(first.json.published, { ip: '127.0.0.1', port });
    const response = await httpGet(port);
    assert.equal(response.status, 200);
    assert.match(response.body, /hello from rundock/);
    const info = await inspectContainer(name);
    assert.equal(info?.Config.Hostname.endsWith(`-${name}`), true);
    assert.equal(info?.Config.Labels['io.rundock.service'], name);
    const second = await put('enabled', name, port);
    assert.equal(second.code, 0);
    assert.equal(second.json.changed, false);
    assert.equal((await inspectContainer(name))?.Id, info?.Id);
  });

  const states: State[] = ['enabled', 'present', 'disabled', 'absent'];
  for (const from of states) {
    for (const to of states) {
      if (from === to) continue;
      it(`${from} -> ${to}, then ${to} again changes nothing`, async () => {
        const name = uniqueName();
        created.push(name);
        const port = await freePort();
        if (from !== 'absent') assert.equal((await put(from, name, port)).code, 0);
        await assertState(name, from);
        const moved = await put(to, name, port);
        assert.equal(moved.code, 0, JSON.stringify(moved.json));
        await assertState(name, to);
        const stoppedBoth = (from === 'present' || from === 'disabled') && (to === 'present' || to === 'disabled');
        assert.equal(moved.json.changed, !stoppedBoth, 'changed reported truthfully');
        const again = await put(to, name, port);
        assert.equal(again.code, 0);
        assert.equal(again.json.changed, false);
        await assertState(name, to);
      });
    }
  }

  it('a bare disable (no spec) stops the running service and keeps the container', async () => {
    const name = uniqueName();
    created.push(name);
    const port = await freePort();
    assert.equal((await put('enabled', name, port)).code, 0);
    const id = (await inspectContainer(name))?.Id;
    const disabled = await rundockJson(['disable', name]);
    assert.equal(disabled.json.changed, true);
    const info = await inspectContainer(name);
    assert.equal(info?.Id, id);
    assert.equal(info?.State.Running, false);
  });
});
