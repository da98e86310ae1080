/**
 * Pulls from a registry that requires a login (a real docker-registry with htpasswd auth on loopback), with the
 * credentials where `docker login` leaves them ($DOCKER_CONFIG/config.json): with them the service deploys, without
 * them the pull fails as such and creates nothing, and the password appears in no output.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from './agent-process.js';
import {
  ADDRESSES,
  containersOf,
  docker,
  freePort,
  HTTPD,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundockJson,
  uniqueName,
} from './harness.js';

const USER = 'deploy';
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}`;

describe('pulling from a registry that requires a login', () => {
  const work = mkdtempSync(join(tmpdir(), 'rundock-regauth-'));
  const names: string[] = [];
  let registry: ChildProcess;
  let address = '';
  let ref = '';

  before(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    writeFileSync(join(work, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', USER, PASSWORD]));
    writeFileSync(
      join(work, 'registry.yml'),
      `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${work}/data\nhttp:\n  addr: ${address}\nauth:\n  htpasswd:\n    realm: rundock-test\n    path: ${work}/htpasswd\n`,
    );
    registry = spawn('docker-registry', ['serve', join(work, 'registry.yml')], { stdio: 'ignore' });
    await waitFor(
      () =>
        fetch(`http://${address}/v2/`).then(
          (r) => r.status === 401,
          () => false,
        ),
      20_000,
      100,
    );
    const tag = uniqueName('tag');
    ref = `${address}/rundock-test/private:${tag}`;
    await docker.getImage(IMAGE).tag({ repo: `${address}/rundock-test/private`, tag });
    const stream = await docker
      .getImage(ref)
      .push({ authconfig: { username: USER, password: PASSWORD, serveraddress: address } });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (e: unknown) => (e ? reject(e instanceof Error ? e : new Error(JSON.stringify(e))) : resolve()),
        (event: { error?: string }) => event.error && reject(new Error(event.error)),
      ),
    );
    await docker.getImage(ref).remove();
  });

  after(async () => {
    await removeContainers(...names);
    await docker
      .getImage(ref)
      .remove()
      .catch(() => undefined);
    registry?.kill();
    rmSync(work, { recursive: true, force: true });
  });

  const config = (content: unknown): string => {
    const dir = mkdtempSync(join(work, 'docker-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(content), { mode: 0o600 });
    return dir;
  };

  it('without credentials the pull fails as such and creates nothing', async () => {
    const name = uniqueName('regauth');
    names.push(name);
    const result = await rundockJson(['enable', name, '--image', ref, '--cmd', HTTPD, ...ADDRESSES], {
      DOCKER_CONFIG: config({}),
    });
    assert.equal(result.code, 1);
    assert.equal((result.json.error as { code: string }).code, 'RUNDOCK_E_PULL_FAILED');
    assert.match(
      String((result.json.error as { message: string }).message),
      /no basic auth credentials|unauthorized|authentication required/i,
    );
    assert.deepEqual(await containersOf(name), []);
  });

  it('with the login in $DOCKER_CONFIG/config.json the service deploys, and the password is printed nowhere', async () => {
    const name = uniqueName('regauth');
    names.push(name);
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    const result = await rundockJson(
      [
        'enable',
        name,
        '--image',
        ref,
        '--cmd',
        HTTPD,
        '--announce',
        String(await freePort()),
        '--port',
        '8080',
        ...ADDRESSES,
      ],
      { DOCKER_CONFIG: config({ auths: { [address]: { auth } } }) },
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.json.changed, true);
    assert.equal((await inspectContainer(name))?.State.Running, true);
    assert.ok(
      !`${result.stdout}${result.stderr}`.includes(PASSWORD) && !`${result.stdout}${result.stderr}`.includes(auth),
      'no credentials in the output',
    );
  });
});
