import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  ADDRESSES,
  docker,
  HTTPD,
  httpdCmd,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundock,
  rundockJson,
  uniqueName,
} from './harness.js';

const created: string[] = [];
after(() => removeContainers(...created));

describe('containers rundock did not create', () => {
  it('a foreign container with the service name is left alone by every state', async () => {
    const name = uniqueName();
    created.push(name);
    const foreign = await docker.createContainer({ name, Image: IMAGE, Cmd: ['sleep', '300'] });
    await foreign.start();
    for (const verb of ['enable', 'present', 'disable', 'absent']) {
      const spec = verb === 'absent' || verb === 'disable' ? [] : ['--image', IMAGE, '--cmd', HTTPD];
      const result = await rundockJson([verb, name, ...spec, ...ADDRESSES]);
      assert.equal(result.code, 1, verb);
      assert.equal((result.json.error as Record<string, unknown>).code, 'RUNDOCK_E_FOREIGN_CONTAINER');
    }
    const info = await inspectContainer(name);
    assert.equal(info?.Id, foreign.id);
    assert.equal(info?.State.Running, true);
  });
});

describe('health checks', () => {
  it('enable waits until Docker reports the container healthy', async () => {
    const name = uniqueName();
    created.push(name);
    const result = await rundockJson([
      'enable',
      name,
      '--image',
      IMAGE,
      '--cmd',
      HTTPD,
      '--health-cmd',
      'wget -q -O /dev/null http://127.0.0.1:8080/',
      '--health-interval',
      '1s',
      ...ADDRESSES,
    ]);
    assert.equal(result.code, 0, result.stdout);
    assert.equal(result.json.health, 'healthy');
    assert.equal((await inspectContainer(name))?.State.Health?.Status, 'healthy');
  });

  it('a health check that never passes fails enable with the container logs', async () => {
    const name = uniqueName();
    created.push(name);
    const cmd = httpdCmd(`echo booting-${name};`);
    const result = await rundock([
      'enable',
      name,
      '--image',
      IMAGE,
      '--cmd',
      cmd,
      '--args',
      '--health-cmd false --health-interval 1s --health-retries 2',
      '--timeout',
      '30',
      ...ADDRESSES,
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /RUNDOCK_E_UNHEALTHY/);
    assert.match(result.stderr, new RegExp(`booting-${name}`));
    assert.equal((await inspectContainer(name))?.State.Health?.Status, 'unhealthy');
  });
});
