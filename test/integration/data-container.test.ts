import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import {
  ADDRESSES,
  docker,
  execIn,
  HTTPD,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundockJson,
  uniqueName,
} from './harness.js';

const created: string[] = [];
after(() => removeContainers(...created));

it('data in a --volumes-from data container survives redeploy and absent, and the data container is untouched', async () => {
  const name = uniqueName();
  const data = `data.${name}`;
  created.push(name, data);
  const dataContainer = await docker.createContainer({
    name: data,
    Image: IMAGE,
    Cmd: ['true'],
    Volumes: { '/var/lib/influxdb': {} },
  });
  const base = ['enable', name, '--image', IMAGE, '--cmd', HTTPD, '--args', `--volumes-from ${data}`, ...ADDRESSES];
  assert.equal((await rundockJson(base)).code, 0);
  await execIn(name, ['sh', '-c', 'echo series-1 > /var/lib/influxdb/db']);

  const redeploy = await rundockJson([
    ...base.slice(0, -ADDRESSES.length),
    '--announce',
    '18086',
    '--announce-as',
    'container',
    ...ADDRESSES,
  ]);
  assert.equal(redeploy.json.changed, true);
  assert.equal((await execIn(name, ['cat', '/var/lib/influxdb/db'])).trim(), 'series-1');

  assert.equal((await rundockJson(['absent', name])).json.changed, true);
  assert.equal(await inspectContainer(name), undefined);
  assert.equal((await dataContainer.inspect()).Id, dataContainer.id, 'data container kept');

  assert.equal((await rundockJson(base)).code, 0);
  assert.equal((await execIn(name, ['cat', '/var/lib/influxdb/db'])).trim(), 'series-1');
});
