import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  BIN,
  containersOf,
  docker,
  freePort,
  httpGet,
  HTTPD,
  IMAGE,
  inspectContainer,
  removeContainers,
  uniqueName,
} from '../harness.js';

/**
 * The Ansible module as operators run it: real `ansible` and `ansible-playbook` processes (argument arrays, no shell)
 * against an inventory whose node-back-1 is this machine (local connection), with ANSIBLE_LIBRARY=library/ and
 * `rundock` found on PATH through a wrapper script. A notification callback (callback_plugins/results_file.py) writes
 * every task result, diff included, to a JSON file; the default stdout callback prints as usual.
 */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const LIBRARY = join(REPO, 'library');
const CALLBACKS = fileURLToPath(new URL('./callback_plugins', import.meta.url));
const HOST = 'node-back-1';

let work = '';
let calls = '';
let env: NodeJS.ProcessEnv = {};
const created: string[] = [];

/** Single-quotes a word for the wrapper script (the only shell text here, written once by the test). */
const sq = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'rundock-ansible-'));
  const bin = join(work, 'bin');
  mkdirSync(bin);
  calls = join(work, 'rundock-calls.log');
  writeFileSync(calls, '');
  // `rundock` on PATH: logs that it ran (so tests can tell Ansible stopped bad input first) and execs the built CLI.
  const wrapper = join(bin, 'rundock');
  writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> ${sq(calls)}\nexec ${sq(process.execPath)} ${sq(BIN)} "$@"\n`);
  chmodSync(wrapper, 0o755);
  writeFileSync(join(work, 'hosts'), `${HOST} ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n`);
  env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    ANSIBLE_LIBRARY: LIBRARY,
    ANSIBLE_CALLBACK_PLUGINS: CALLBACKS,
    ANSIBLE_CALLBACKS_ENABLED: 'results_file',
    ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_LOCAL_TEMP: join(work, 'ansible-local'),
    ANSIBLE_REMOTE_TEMP: join(work, 'ansible-remote'),
    // The host's addresses as the original setup found them: rundock expands $PRIVATE_IP, Ansible does not.
    RUNDOCK_PRIVATE_IP: '127.0.0.1',
    RUNDOCK_PUBLIC_IP: '127.0.0.1',
    RUNDOCK_CONFIG: '/dev/null',
  };
});

after(async () => {
  await removeContainers(...created);
  if (work) rmSync(work, { recursive: true, force: true });
});

interface TaskResult {
  task: string;
  host: string;
  status: 'ok' | 'failed' | 'skipped' | 'unreachable';
  result: Record<string, unknown> & { changed?: boolean; msg?: string };
}

interface AnsibleRun {
  code: number;
  stdout: string;
  stderr: string;
  results: TaskResult[];
}

let runs = 0;

/** Runs an Ansible program with ARGS (no shell) in the work dir and reads the task results it recorded. */
function ansible(
  program: 'ansible' | 'ansible-playbook' | 'ansible-doc',
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<AnsibleRun> {
  const resultsFile = join(work, `results-${++runs}.json`);
  return new Promise((resolve) => {
    execFile(
      program,
      args,
      { cwd: work, env: { ...env, RUNDOCK_TEST_RESULTS: resultsFile, ...extraEnv }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        let results: TaskResult[] = [];
        try {
          results = JSON.parse(readFileSync(resultsFile, 'utf8')) as TaskResult[];
        } catch {
          // no task ran (e.g. ansible-doc, or a failure before the play)
        }
        resolve({ code, stdout, stderr, results });
      },
    );
  });
}

/** `ansible -i hosts node-back-1 -m rundock -a MODULE_ARGS [EXTRA...]`: the original ad-hoc command line. */
async function adhoc(
  moduleArgs: string,
  extra: string[] = [],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<AnsibleRun & TaskResult> {
  const run = await ansible('ansible', ['-i', 'hosts', HOST, '-m', 'rundock', '-a', moduleArgs, ...extra], extraEnv);
  const only = run.results[0];
  assert.ok(only, `ansible recorded no result (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  return { ...run, ...only };
}

/** One play on node-back-1 whose tasks are `rundock:` with each of TASKS as parameters; JSON is valid YAML. */
async function play(
  tasks: Record<string, unknown>[],
  extra: string[] = [],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<AnsibleRun> {
  const file = join(work, `play-${runs + 1}.yml`);
  const doc = [
    { hosts: HOST, gather_facts: false, tasks: tasks.map((t, i) => ({ name: `step ${i + 1}`, rundock: t })) },
  ];
  writeFileSync(file, JSON.stringify(doc, null, 2));
  const run = await ansible('ansible-playbook', ['-i', 'hosts', file, ...extra], extraEnv);
  assert.equal(
    run.results.length,
    tasks.length,
    `every task recorded a result (exit ${run.code}):\n${run.stdout}\n${run.stderr}`,
  );
  return run;
}

const callCount = (): number => readFileSync(calls, 'utf8').split('\n').filter(Boolean).length;

type State = 'enabled' | 'present' | 'disabled' | 'absent';

/** Asserts the service's container is in STATE as Docker sees it. */
async function assertState(name: string, state: State): Promise<void> {
  const info = await inspectContainer(name);
  if (state === 'absent') return assert.equal(info, undefined, `${name} should be gone`);
  assert.ok(info, `${name} should exist for ${state}`);
  assert.equal(
    info.State.Running,
    state === 'enabled',
    `${name} running should be ${state === 'enabled'} for ${state}`,
  );
  assert.equal(info.HostConfig.RestartPolicy?.Name, 'unless-stopped');
}

describe('the rundock Ansible module', () => {
  it('ansible-doc renders it from library/ and from the collection, which holds the same file', async () => {
    const doc = await ansible('ansible-doc', ['rundock']);
    assert.equal(doc.code, 0, doc.stderr);
    for (const word of ['announce_as', 'rundock_cmd', 'EXAMPLES', 'RETURN VALUES', 'container_id']) {
      assert.ok(doc.stdout.includes(word), `ansible-doc shows ${word}`);
    }
    const collectionModule = join(REPO, 'ansible_collections/rundock/rundock/plugins/modules/rundock.py');
    assert.ok(lstatSync(join(LIBRARY, 'rundock.py')).isSymbolicLink(), 'library/rundock.py links to the collection');
    assert.equal(realpathSync(collectionModule), realpathSync(join(LIBRARY, 'rundock.py')));
    const fromCollection = await ansible('ansible-doc', ['rundock.rundock.rundock'], {
      ANSIBLE_COLLECTIONS_PATH: REPO,
      ANSIBLE_LIBRARY: '',
    });
    assert.equal(fromCollection.code, 0, fromCollection.stderr);
    assert.match(fromCollection.stdout, /RUNDOCK\.RUNDOCK\.RUNDOCK/);
  });

  it('the reference cluster example passes ansible-playbook --syntax-check (role.test.ts runs it)', async () => {
    const check = await ansible('ansible-playbook', [
      '-i',
      join(REPO, 'examples/hosts'),
      join(REPO, 'examples/site.yml'),
      '--syntax-check',
    ]);
    assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}`);
  });

  it('the original ad-hoc command works unchanged, and a second run reports changed=false', async () => {
    const name = uniqueName('influxdb');
    const data = `data.${name}`;
    created.push(name, data);
    await docker.createContainer({ name: data, Image: IMAGE, Cmd: ['true'], Volumes: { '/var/lib/influxdb': {} } });
    const [announce, ui] = [await freePort(), await freePort()];
    const command =
      `state=enabled name=${name} image=${IMAGE} args="--volumes-from ${data} -p $PRIVATE_IP:${ui}:8083" ` +
      `announce=${announce} port=8086 cmd="sh -c 'trap exit TERM; httpd -f -p 8086 -h /www & wait'"`;

    const first = await adhoc(command);
    assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
    assert.match(first.stdout, new RegExp(`^${HOST} \\| CHANGED =>`, 'm'));
    assert.equal(first.result.changed, true);
    assert.equal(first.result.published, `127.0.0.1:${announce}`);
    assert.deepEqual(first.result.announced, { as: 'private', port: announce });
    const info = await inspectContainer(name);
    assert.ok(info?.State.Running);
    assert.equal(first.result.container_id, info.Id);
    assert.equal(first.result.image_id, info.Image);
    assert.deepEqual(info.HostConfig.VolumesFrom, [data]);
    assert.deepEqual(
      (info.HostConfig.PortBindings as Record<string, unknown> | undefined)?.['8083/tcp'],
      [{ HostIp: '127.0.0.1', HostPort: String(ui) }],
      '$PRIVATE_IP expanded by rundock',
    );
    assert.equal((await httpGet(announce)).status, 200);

    const second = await adhoc(command);
    assert.equal(second.code, 0);
    assert.match(second.stdout, new RegExp(`^${HOST} \\| SUCCESS =>`, 'm'));
    assert.equal(second.result.changed, false);
    assert.deepEqual(second.result.actions, []);
    assert.equal((await inspectContainer(name))?.Id, info.Id);
  });

  it('restart_unhealthy reaches the container as the label the agent reads', async () => {
    const name = uniqueName('ans');
    created.push(name);
    const run = await adhoc(`name=${name} image=${IMAGE} state=present restart_unhealthy=3`);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(run.result.changed, true);
    assert.equal((await inspectContainer(name))?.Config.Labels?.['io.rundock.restart-unhealthy'], '3');
  });

  it('route and strip_prefix reach the container as the labels the agent reads', async () => {
    const name = uniqueName('ans');
    created.push(name);
    const route = ['shop.example.com', 'shop.example.com/api'];
    const spec = { name, image: IMAGE, state: 'present', announce: 'auto', port: 8080, route, strip_prefix: true };
    const run = await play([spec]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const labels = (await inspectContainer(name))?.Config.Labels;
    assert.equal(labels?.['io.rundock.routes'], '["shop.example.com","shop.example.com/api"]');
    assert.equal(labels?.['io.rundock.strip-prefix'], 'true');
  });

  it('every state transition puts the container in its state; changed is true, then false on repeat', async () => {
    const name = uniqueName('ans');
    created.push(name);
    const spec = {
      name,
      image: IMAGE,
      cmd: HTTPD,
      announce: await freePort(),
      port: 8080,
      private_ip: '127.0.0.1',
      public_ip: '127.0.0.1',
    };
    // A circuit through all 12 transitions between the four states, starting and ending with no container.
    const circuit: State[] = [
      'enabled',
      'disabled',
      'present',
      'absent',
      'present',
      'enabled',
      'absent',
      'disabled',
      'enabled',
      'present',
      'disabled',
      'absent',
    ];
    let from = 'absent' as State;
    for (const to of circuit) {
      const run = await play([
        { ...spec, state: to },
        { ...spec, state: to },
      ]);
      assert.equal(run.code, 0, `${from} -> ${to}:\n${run.stdout}\n${run.stderr}`);
      // present and disabled are both a stopped container: moving between them changes nothing, as the CLI says.
      const stoppedBoth: boolean =
        (from === 'present' || from === 'disabled') && (to === 'present' || to === 'disabled');
      assert.equal(run.results[0]?.result.changed, !stoppedBoth, `${from} -> ${to}: changed`);
      assert.equal(run.results[1]?.result.changed, false, `${from} -> ${to}: the repeat changes nothing`);
      assert.equal(run.results[0]?.result.state, to);
      await assertState(name, to);
      from = to;
    }
  });

  it('check mode changes nothing and reports what would change; diff mode shows before and after', async () => {
    const name = uniqueName('ans');
    created.push(name);
    const spec = { name, image: IMAGE, cmd: HTTPD, announce: await freePort(), port: 8080 };
    // rundock from rundock_cmd (a list) rather than PATH: the wrapper is not used, so nothing is logged.
    const direct = { ...spec, rundock_cmd: [process.execPath, BIN] };

    const dry = await play([{ ...direct, state: 'enabled' }], ['--check']);
    assert.equal(dry.code, 0, dry.stdout);
    assert.equal(dry.results[0]?.result.changed, true, 'a change is due');
    assert.ok((dry.results[0]?.result.actions as string[]).some((a) => a.startsWith('create')));
    assert.deepEqual(await containersOf(name), [], 'check mode created nothing');

    assert.equal((await play([{ ...spec, state: 'enabled' }])).code, 0);
    const id = (await inspectContainer(name))?.Id;
    const checked = await play(
      [
        { ...direct, state: 'disabled' },
        { ...direct, state: 'enabled' },
      ],
      ['--check', '--diff'],
    );
    assert.equal(checked.code, 0, checked.stdout);
    const [wouldStop, unchanged] = checked.results.map((r) => r.result);
    assert.equal(wouldStop?.changed, true);
    assert.equal(unchanged?.changed, false);
    const planned = wouldStop?.diff as { before: Record<string, unknown>; after: Record<string, unknown> };
    assert.equal(planned.before.status, 'running');
    assert.equal(planned.after.state, 'disabled');
    assert.ok(
      (planned.after.planned_actions as string[]).some((a) => a.startsWith('stop')),
      JSON.stringify(planned),
    );
    assert.match(checked.stdout, /^\+\s+"planned_actions"/m, 'the diff is printed');
    const still = await inspectContainer(name);
    assert.equal(still?.Id, id);
    assert.equal(still?.State.Running, true, 'check mode stopped nothing');

    const real = await play([{ ...spec, state: 'disabled' }], ['--diff']);
    const diff = real.results[0]?.result.diff as { before: Record<string, unknown>; after: Record<string, unknown> };
    assert.deepEqual([diff.before.status, diff.after.status], ['running', 'exited']);
    assert.equal(diff.after.container_id, id);
    await assertState(name, 'disabled');
  });

  it('check mode with diff names the fields that differ, before and after, and never a secret value', async () => {
    const name = uniqueName('ans');
    created.push(name);
    const secrets = join(tmpdir(), `${name}.env`);
    writeFileSync(secrets, 'API_KEY=ansible-s3cr3t\n');
    const [p1, p2] = [await freePort(), await freePort()];
    const spec = { name, image: IMAGE, cmd: HTTPD, port: 8080, env_file: secrets, env: ['MODE=a'] };
    assert.equal((await play([{ ...spec, announce: p1 }])).code, 0);
    writeFileSync(secrets, 'API_KEY=ansible-s3cr3t-rotated\n');
    const checked = await play([{ ...spec, announce: p2, env: ['MODE=b'] }], ['--check', '--diff']);
    assert.equal(checked.code, 0, checked.stdout);
    const result = checked.results[0]?.result ?? {};
    const diff = result.diff as {
      before: { fields: Record<string, string> };
      after: { fields: Record<string, string> };
    };
    assert.equal(diff.before.fields.published, `127.0.0.1:${p1}->8080/tcp`);
    assert.equal(diff.after.fields.published, `127.0.0.1:${p2}->8080/tcp`);
    assert.deepEqual([diff.before.fields['env.MODE'], diff.after.fields['env.MODE']], ['a', 'b']);
    assert.ok('env (secret values)' in diff.after.fields, 'a changed env file shows as its digest');
    assert.ok((result.changes as { field: string }[]).some((c) => c.field === 'announce'));
    assert.doesNotMatch(checked.stdout + JSON.stringify(checked.results), /s3cr3t/);
    assert.match(checked.stdout, /^\+\s+"published": "127\.0\.0\.1:\d+->8080\/tcp"/m, 'the diff is printed');
  });

  it('announce=auto: check mode plans it, a run publishes the port Docker bound, a repeat changes nothing, a redeploy overlaps', async () => {
    const name = uniqueName('ansauto');
    created.push(name);
    const spec = { name, image: IMAGE, cmd: HTTPD, announce: 'auto', port: 8080, rundock_cmd: [process.execPath, BIN] };
    const dry = await play([spec], ['--check', '--diff']);
    assert.equal(dry.code, 0, dry.stdout);
    assert.equal(dry.results[0]?.result.changed, true);
    assert.equal(dry.results[0]?.result.published, '127.0.0.1:auto');
    assert.deepEqual(await containersOf(name), [], 'check mode created nothing');
    const run = await play([spec]);
    assert.equal(run.code, 0, run.stdout);
    const bound = (await inspectContainer(name))?.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
    assert.equal(run.results[0]?.result.published, `127.0.0.1:${bound}`);
    assert.deepEqual(run.results[0]?.result.announced, { as: 'private', port: Number(bound) });
    assert.equal((await httpGet(Number(bound))).status, 200);
    const again = await play([spec]);
    assert.equal(again.results[0]?.result.changed, false, 'a second run changes nothing');
    const redeploy = await play([{ ...spec, args: '-e VERSION=2' }], ['--diff']);
    assert.equal(redeploy.code, 0, redeploy.stdout);
    assert.equal(redeploy.results[0]?.result.handover, 'overlap');
    assert.deepEqual(
      (await containersOf(name)).map((c) => c.Names[0]),
      [`/${name}`],
      'the old container is gone',
    );
  });

  describe('bad input fails naming the parameter, and creates nothing', () => {
    const image = `image=${IMAGE}`;
    const ansibleLevel: [string, (n: string) => string, RegExp][] = [
      ['announce_as=everywhere', (n) => `name=${n} ${image} announce_as=everywhere`, /announce_as.*everywhere/],
      ['announce=notanumber', (n) => `name=${n} ${image} announce=notanumber`, /announce/],
      ['missing name', () => `${image} announce=8086`, /missing required arguments: name/],
      ['enabled without image', (n) => `name=${n} state=enabled`, /image/],
      ['restart_unhealthy=three', (n) => `name=${n} ${image} restart_unhealthy=three`, /restart_unhealthy/],
    ];
    for (const [what, args, named] of ansibleLevel) {
      it(`Ansible rejects ${what} before rundock runs`, async () => {
        const name = uniqueName('bad');
        const before = callCount();
        const run = await adhoc(args(name));
        assert.notEqual(run.code, 0);
        assert.equal(run.status, 'failed');
        assert.match(run.result.msg ?? '', named);
        assert.equal(callCount(), before, 'rundock was not run');
        assert.deepEqual(await containersOf(name), []);
      });
    }

    const marker = join(tmpdir(), `rundock-ansible-injected-${process.pid}`);
    const rundockLevel: [string, (n: string) => string, string, string][] = [
      ['args=--frobnicate', (n) => `name=${n} ${image} args=--frobnicate`, 'args', '--frobnicate'],
      ['name=Bad_Name', () => `name=Bad_Name ${image}`, 'name', 'Bad_Name'],
      ['restart_unhealthy=0', (n) => `name=${n} ${image} restart_unhealthy=0`, 'restart_unhealthy', '0'],
      ['route with ..', (n) => `name=${n} ${image} announce=auto port=80 route=x.example.com/a/../b`, 'route', '..'],
      ['shell syntax in args', (n) => `name=${n} ${image} args="-e A=b; touch ${marker}"`, 'args', ';'],
    ];
    for (const [what, args, field, value] of rundockLevel) {
      it(`rundock rejects ${what}: exit 2, the message names ${field}`, async () => {
        const name = uniqueName('bad');
        const run = await adhoc(args(name));
        assert.notEqual(run.code, 0);
        assert.equal(run.status, 'failed');
        assert.equal(run.result.rc, 2);
        const msg = run.result.msg ?? '';
        assert.ok(msg.includes(field) && msg.includes(value), msg);
        assert.equal((run.result.error as { field?: string }).field, field);
        assert.deepEqual(await containersOf(name), []);
        assert.equal(await inspectContainer('Bad_Name'), undefined);
        assert.throws(() => statSync(marker), 'nothing reached a shell');
      });
    }

    it("a failure while acting fails with rundock's message and exit status 1", async () => {
      const name = uniqueName('bad');
      const run = await adhoc(`name=${name} image=rundock-test/not-here:latest pull=never`);
      assert.equal(run.status, 'failed');
      assert.equal(run.result.rc, 1);
      assert.equal((run.result.error as { code?: string }).code, 'RUNDOCK_E_IMAGE_MISSING');
      assert.match(run.result.msg ?? '', /rundock-test\/not-here:latest/);
      assert.deepEqual(await containersOf(name), []);
    });
  });
});
