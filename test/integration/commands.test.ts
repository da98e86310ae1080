import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dockerView, type DockerView } from './docker-view.js';
import {
  ADDRESSES,
  freePort,
  httpGet,
  httpdCmd,
  IMAGE,
  inspectContainer,
  containersOf,
  removeContainers,
  rundock,
  rundockJson,
  uniqueName,
} from './harness.js';

const created: string[] = [];
after(() => removeContainers(...created));

describe('ps and logs', () => {
  it('ps lists the service with status, health, restarts and published address; logs prints its output', async () => {
    const name = uniqueName();
    created.push(name);
    const port = await freePort();
    const cmd = httpdCmd(`echo started-${name}; echo oops-${name} >&2; sleep 0.3; echo last-${name};`);
    assert.equal(
      (
        await rundockJson([
          'enable',
          name,
          '--image',
          IMAGE,
          '--cmd',
          cmd,
          '--announce',
          String(port),
          '--port',
          '8080',
          ...ADDRESSES,
        ])
      ).code,
      0,
    );
    await new Promise((r) => setTimeout(r, 500));

    const ps = await rundockJson<{ services: Record<string, unknown>[] }>(['ps', ...ADDRESSES]);
    const row = ps.json.services.find((s) => s.name === name);
    assert.ok(row, 'service listed');
    assert.equal(row.status, 'running');
    assert.equal(row.restarts, 0);
    assert.equal(row.image, IMAGE);
    assert.equal(row.published, `127.0.0.1:${port}`);
    const human = await rundock(['ps', ...ADDRESSES]);
    assert.match(human.stdout, new RegExp(`^${name}\\s+running`, 'm'));

    const logs = await rundock(['logs', name]);
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, new RegExp(`started-${name}`));
    assert.match(logs.stderr, new RegExp(`oops-${name}`));
    const tail = await rundock(['logs', name, '--tail', '1']);
    assert.equal(tail.stdout + tail.stderr, `last-${name}\n`);
    assert.equal((await rundock(['logs', uniqueName()])).code, 1);
  });
});

describe('apply', () => {
  it('dry-run shows the plan and creates nothing; apply converges; a second apply changes nothing', async () => {
    const [web, worker, gone] = [uniqueName(), uniqueName(), uniqueName()];
    created.push(web, worker, gone);
    const port = await freePort();
    const file = join(tmpdir(), `${web}.yml`);
    writeFileSync(
      file,
      [
        'services:',
        `  ${web}:`,
        `    image: ${IMAGE}`,
        `    cmd: [httpd, -f, -p, "8080", -h, /www]`,
        `    announce: ${port}`,
        '    port: 8080',
        `  ${worker}:`,
        '    state: present',
        `    image: ${IMAGE}`,
        '    args: -e ROLE=worker',
        `  ${gone}:`,
        '    state: absent',
        '',
      ].join('\n'),
    );
    const dry = await rundockJson<{ changed: boolean; services: { actions: string[] }[] }>([
      'apply',
      file,
      '--dry-run',
      ...ADDRESSES,
    ]);
    assert.equal(dry.code, 0, dry.stdout);
    assert.equal(dry.json.changed, true);
    assert.match(dry.json.services[0]?.actions.join('\n') ?? '', new RegExp(`create ${web}`));
    assert.deepEqual(await containersOf(web), []);

    const applied = await rundockJson<{ changed: boolean }>(['apply', file, ...ADDRESSES]);
    assert.equal(applied.code, 0, applied.stdout);
    assert.equal(applied.json.changed, true);
    assert.equal((await httpGet(port)).status, 200);
    assert.equal((await inspectContainer(worker))?.State.Running, false);
    assert.ok((await inspectContainer(worker))?.Config.Env.includes('ROLE=worker'));

    const again = await rundockJson<{ changed: boolean }>(['apply', file, ...ADDRESSES]);
    assert.equal(again.json.changed, false);
  });
});

describe('apply and the services a file does not mention', () => {
  const base = uniqueName('prune');
  const [web, worker, old] = [`${base}-web`, `${base}-worker`, `${base}-old`];
  let view: DockerView;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    // The proxy shows rundock this test's containers only: --prune never sees anyone else's on the shared engine.
    view = await dockerView([base]);
    env = { DOCKER_HOST: view.host, RUNDOCK_STATE_DIR: join(tmpdir(), `${base}-state`) };
  });
  after(async () => {
    await removeContainers(web, worker, old);
    await view?.close();
  });
  const file = (names: string[]): string => {
    const path = join(tmpdir(), `${base}-${names.length}.yml`);
    const entries = names.map((n) => `  ${n}:\n    state: present\n    image: ${IMAGE}\n    cmd: [sleep, "3600"]\n`);
    writeFileSync(path, `services:\n${entries.join('')}`);
    return path;
  };

  it('warns about them, removes them with --prune (shown in --dry-run), and leaves the rest alone', async () => {
    assert.equal((await rundockJson(['apply', file([web, worker, old]), ...ADDRESSES], env)).code, 0);
    const webId = (await inspectContainer(web))?.Id;
    const only = file([web]);

    const warned = await rundock(['apply', only, ...ADDRESSES], env);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(
      warned.stderr,
      new RegExp(`services ${old}, ${worker} on this host are not in .*: left as they are \\(--prune removes them\\)`),
    );
    const listed = await rundockJson<{ unmentioned: string[]; pruned: string[] }>(['apply', only, ...ADDRESSES], env);
    assert.deepEqual([listed.json.unmentioned, listed.json.pruned], [[old, worker], []]);
    assert.equal(listed.stderr, '', 'with --json the warning is in the document only');

    const dry = await rundockJson<{ changed: boolean; services: { name: string; state: string; actions: string[] }[] }>(
      ['apply', only, '--prune', '--dry-run', ...ADDRESSES],
      env,
    );
    assert.equal(dry.json.changed, true);
    const planned = dry.json.services.filter((s) => s.state === 'absent').map((s) => [s.name, s.actions.at(-1)]);
    assert.deepEqual(
      planned.map(([n]) => n),
      [old, worker],
    );
    assert.ok(
      planned.every(([, last]) => last?.startsWith('remove')),
      JSON.stringify(planned),
    );
    assert.ok(await inspectContainer(old), 'a dry run removes nothing');

    const pruned = await rundockJson<{ changed: boolean; pruned: string[] }>(
      ['apply', only, '--prune', ...ADDRESSES],
      env,
    );
    assert.equal(pruned.code, 0, pruned.stdout);
    assert.deepEqual(pruned.json.pruned, [old, worker]);
    assert.equal(await inspectContainer(old), undefined);
    assert.equal(await inspectContainer(worker), undefined);
    assert.equal((await inspectContainer(web))?.Id, webId, "the file's service is untouched");
    const again = await rundockJson<{ changed: boolean; pruned: string[] }>(
      ['apply', only, '--prune', ...ADDRESSES],
      env,
    );
    assert.deepEqual([again.json.changed, again.json.pruned], [false, []]);
  });
});

describe('help', () => {
  it('every command has --help', async () => {
    for (const command of ['enable', 'present', 'disable', 'absent', 'restart', 'ps', 'logs', 'exec', 'apply']) {
      const result = await rundock([command, '--help']);
      assert.equal(result.code, 0, command);
      assert.match(result.stdout, /Usage: rundock/);
    }
  });

  it('says what --timeout bounds per command, and the environment variable of each option that has one', async () => {
    const present = (await rundock(['present', '--help'])).stdout.replace(/\s+/g, ' ');
    assert.match(
      present,
      /--timeout <seconds> when it replaces a running container: how long to wait for every gateway to drop it/,
    );
    assert.doesNotMatch(present, /how long enable waits/);
    const enable = (await rundock(['enable', '--help'])).stdout.replace(/\s+/g, ' ');
    assert.match(enable, /--agent <addr:port> .*env RUNDOCK_AGENT/);
    assert.match(enable, /--env-file <file>/);
    assert.match(enable, /-e, --env <KEY\[=VALUE\]>/);
    const gateway = (await rundock(['gateway', '--help'])).stdout.replace(/\s+/g, ' ');
    assert.match(
      gateway,
      /--route-listen <\[addr:\]port> plain HTTP listen address of route servers \(repeatable; default 80\) --/,
    );
    assert.doesNotMatch(gateway, /default: \[\]/, 'one default each');
    const top = (await rundock(['--help'])).stdout.replace(/\s+/g, ' ');
    for (const variable of [
      'RUNDOCK_CONFIG',
      'RUNDOCK_PUBLIC_IP',
      'RUNDOCK_PRIVATE_IP',
      'RUNDOCK_PUBLIC_IFACE',
      'RUNDOCK_PRIVATE_IFACE',
    ])
      assert.ok(top.includes(variable), variable);
  });
});

describe('errors that point to the fix', () => {
  it('an address in use names the address and port', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    const stateDir = mkdtempSync(join(tmpdir(), 'rundock-listen-'));
    try {
      const result = await rundock([
        'agent',
        '--domain',
        's.listen.example.com',
        '--state-dir',
        stateDir,
        '--status-listen',
        `127.0.0.1:${port}`,
        ...ADDRESSES,
      ]);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        new RegExp(
          `rundock: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use .*\\(EADDRINUSE\\) \\[RUNDOCK_E_LISTEN\\]`,
        ),
      );
    } finally {
      holder.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('etcd out of reach is one sentence a person can act on, without gRPC internals', async () => {
    const port = await freePort();
    const result = await rundockJson<{ error: { code: string; message: string; etcd_error: string } }>([
      'ps',
      '--all',
      '--etcd',
      `http://127.0.0.1:${port}`,
    ]);
    assert.equal(result.code, 1);
    assert.equal(result.json.error.code, 'RUNDOCK_E_REGISTRY_UNAVAILABLE');
    assert.equal(
      result.json.error.message,
      `etcd (http://127.0.0.1:${port}) cannot be reached: connection refused at 127.0.0.1:${port} (is etcd running there?)`,
    );
    assert.match(result.json.error.etcd_error, /UNAVAILABLE/, 'the raw text stays in the details');
  });
});
