import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ADDRESSES,
  docker,
  execIn,
  freePort,
  httpGet,
  HTTPD,
  IMAGE,
  inspectContainer,
  containersOf,
  REGISTRY,
  removeContainers,
  rundockJson,
  uniqueName,
} from './harness.js';

const created: string[] = [];
after(() => removeContainers(...created));

/** Pushes a new image under `ref` whose web root says `text`, so every push has a new image ID. */
async function pushVariant(ref: string, text: string): Promise<string> {
  const builder = await docker.createContainer({ Image: IMAGE, Cmd: ['sh', '-c', `echo ${text} > /www/index.html`] });
  await builder.start();
  await builder.wait();
  const [repo, tag] = ref.split(/:(?=[^:/]+$)/);
  const image = (await builder.commit({ repo, tag, changes: ['CMD ["sh"]'] })) as { Id: string };
  await builder.remove();
  const stream = await docker.getImage(ref).push({ authconfig: {} as never });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (e: unknown) =>
      e ? reject(e instanceof Error ? e : new Error(JSON.stringify(e))) : resolve(),
    ),
  );
  return image.Id;
}

describe('redeploy', () => {
  const ref = `${REGISTRY}/rundock-test/web:${uniqueName('tag')}`;
  before(() => pushVariant(ref, 'version-one'));

  it('replaces the container on a spec change, keeping the host never without one', async () => {
    const name = uniqueName();
    created.push(name);
    const port = await freePort();
    const base = [
      'enable',
      name,
      '--image',
      IMAGE,
      '--cmd',
      HTTPD,
      '--announce',
      String(port),
      '--port',
      '8080',
      ...ADDRESSES,
    ];
    assert.equal((await rundockJson([...base, '--args', '-e COLOR=blue'])).code, 0);
    const before = await inspectContainer(name);
    const changed = await rundockJson([...base, '--args', '-e COLOR=green']);
    assert.equal(changed.code, 0, changed.stdout);
    assert.equal(changed.json.changed, true);
    const now = await inspectContainer(name);
    assert.notEqual(now?.Id, before?.Id);
    assert.ok(now?.Config.Env.includes('COLOR=green'));
    assert.equal((await httpGet(port)).status, 200);
    assert.deepEqual(
      (await containersOf(name)).map((c) => c.Names[0]),
      [`/${name}`],
      'no leftovers after the swap',
    );
    assert.equal((await rundockJson([...base, '--args', '-e COLOR=green'])).json.changed, false);
  });

  it('replaces the container when a new image is pushed under the same tag (pull always)', async () => {
    const name = uniqueName();
    created.push(name);
    const port = await freePort();
    const cmd = [
      'enable',
      name,
      '--image',
      ref,
      '--pull',
      'always',
      '--cmd',
      HTTPD,
      '--announce',
      String(port),
      '--port',
      '8080',
      ...ADDRESSES,
    ];
    assert.equal((await rundockJson(cmd)).code, 0);
    assert.match((await httpGet(port)).body, /version-one/);
    assert.equal((await rundockJson(cmd)).json.changed, false, 'same image ID: no change');
    const newId = await pushVariant(ref, 'version-two');
    const redeployed = await rundockJson(cmd);
    assert.equal(redeployed.json.changed, true);
    assert.equal((await inspectContainer(name))?.Image, newId);
    assert.match((await httpGet(port)).body, /version-two/);
  });

  it('a failed pull is reported as such and creates nothing', async () => {
    const name = uniqueName();
    const result = await rundockJson([
      'enable',
      name,
      '--image',
      `${REGISTRY}/rundock-test/no-such-image:${uniqueName('tag')}`,
      ...ADDRESSES,
    ]);
    assert.equal(result.code, 1);
    assert.equal((result.json.error as Record<string, unknown>).code, 'RUNDOCK_E_PULL_FAILED');
    assert.deepEqual(await containersOf(name), []);
  });

  it('a replacement that cannot be created leaves the old container running', async () => {
    const name = uniqueName();
    created.push(name);
    const port = await freePort();
    const base = [
      'enable',
      name,
      '--image',
      IMAGE,
      '--cmd',
      HTTPD,
      '--announce',
      String(port),
      '--port',
      '8080',
      ...ADDRESSES,
    ];
    assert.equal((await rundockJson(base)).code, 0);
    const before = await inspectContainer(name);
    const failed = await rundockJson([...base, '--args', '--network no-such-network-here']);
    assert.equal(failed.code, 1);
    const now = await inspectContainer(name);
    assert.equal(now?.Id, before?.Id);
    assert.equal(now?.State.Running, true);
    assert.equal((await httpGet(port)).status, 200);
  });

  it('a replacement that does not start is rolled back to the old container', async () => {
    const name = uniqueName();
    created.push(name);
    const port = await freePort();
    const base = ['enable', name, '--image', IMAGE, '--announce', String(port), '--port', '8080', ...ADDRESSES];
    assert.equal((await rundockJson([...base, '--cmd', HTTPD])).code, 0);
    const before = await inspectContainer(name);
    const failed = await rundockJson([...base, '--cmd', 'sh -c "echo broken-release; exit 3"', '--restart', 'no']);
    assert.equal(failed.code, 1);
    assert.match(JSON.stringify(failed.json), /broken-release/);
    assert.equal((failed.json.error as Record<string, unknown>).rolled_back, true);
    const now = await inspectContainer(name);
    assert.equal(now?.Id, before?.Id);
    assert.equal(now?.State.Running, true);
    assert.deepEqual(
      (await containersOf(name)).map((c) => c.Names[0]),
      [`/${name}`],
    );
    assert.equal((await httpGet(port)).status, 200);
  });

  it('a container that exits is restarted by its restart policy', async () => {
    const name = uniqueName();
    created.push(name);
    const result = await rundockJson([
      'enable',
      name,
      '--image',
      IMAGE,
      '--cmd',
      'sh -c "sleep 1; exit 3"',
      ...ADDRESSES,
    ]);
    assert.equal(result.code, 0, result.stdout);
    const deadline = Date.now() + 20_000;
    let restarts = 0;
    while (Date.now() < deadline && restarts < 1) {
      await new Promise((r) => setTimeout(r, 500));
      restarts = (await inspectContainer(name))?.RestartCount ?? 0;
    }
    assert.ok(restarts >= 1, 'restarted at least once');
  });

  it('volumes data survives in a named volume via exec writes', async () => {
    const name = uniqueName();
    created.push(name);
    const volume = `${name}-data`;
    const base = ['enable', name, '--image', IMAGE, '--cmd', HTTPD, ...ADDRESSES];
    assert.equal((await rundockJson([...base, '--args', `-v ${volume}:/data -v /anon`])).code, 0);
    await execIn(name, ['sh', '-c', 'echo named-kept > /data/f; echo anon-kept > /anon/f']);
    assert.equal(
      (await rundockJson([...base, '--args', `-v ${volume}:/data -v /anon -e REDEPLOY=1`])).json.changed,
      true,
    );
    assert.equal((await execIn(name, ['cat', '/data/f', '/anon/f'])).trim(), 'named-kept\nanon-kept');
    assert.equal((await rundockJson(['absent', name])).json.changed, true);
    const vol = await docker.getVolume(volume).inspect();
    assert.equal(vol.Name, volume);
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined);
  });
});
