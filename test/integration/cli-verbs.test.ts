/**
 * The flags and verbs people reach for (issue 15): `--env-file` and `-e` as flags, a bare `enable NAME`, `restart`,
 * `exec`, `logs --until`, `logs --json` and `logs -f` across a redeploy. Run as users run rundock: the built bin.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { waitFor } from './agent-process.js';
import {
  ADDRESSES,
  BIN,
  containersOf,
  execIn,
  freePort,
  httpGet,
  HTTPD,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundock,
  rundockJson,
  uniqueName,
  type RunResult,
} from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'rundock-verbs-'));
const stateDir = join(dir, 'state');
const env = { RUNDOCK_STATE_DIR: stateDir };
const created: string[] = [];
after(async () => {
  await removeContainers(...created.flatMap((n) => [n, `${n}_rundock_next`, `${n}_rundock_old`]));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the bin as a program (its shebang), not through `node BIN`: that is how `--env-file` must reach rundock. */
function runBin(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      BIN,
      [...args],
      { env: { ...process.env, RUNDOCK_CONFIG: '/dev/null', ...env, ...extraEnv }, timeout: 120_000, cwd: dir },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('--env-file and -e as flags', () => {
  it("the file's values reach the container and nowhere else; merged with args as docker run merges them", async () => {
    const name = uniqueName('envf');
    created.push(name);
    writeFileSync(join(dir, 'app.env'), 'SECRET_TOKEN=s3cr3t-from-file\nSHARED=from-file\n');
    writeFileSync(join(dir, 'args.env'), 'FROM_ARGS_FILE=yes\n');
    const args = [
      'enable',
      name,
      '--image',
      IMAGE,
      '--cmd',
      HTTPD,
      '--args',
      `--env-file ${join(dir, 'args.env')} -e SHARED=from-args`,
      '--env-file',
      'app.env', // relative to the working directory, kept absolute in the history
      '-e',
      'SHARED=from-flag',
      '--env',
      'INHERITED',
      ...ADDRESSES,
      '--json',
    ];
    const first = await runBin(args, { INHERITED: 'inherited-s3cr3t' });
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const info = await inspectContainer(name);
    assert.deepEqual(info?.Config.Env.slice(0, 6), [
      'SECRET_TOKEN=s3cr3t-from-file',
      'SHARED=from-file',
      'FROM_ARGS_FILE=yes',
      'SHARED=from-args',
      'SHARED=from-flag',
      'INHERITED=inherited-s3cr3t',
    ]);
    assert.equal((await execIn(name, ['sh', '-c', 'echo $SHARED'])).trim(), 'from-flag', 'the last -e wins');
    const secrets = /s3cr3t/;
    assert.doesNotMatch(first.stdout + first.stderr, secrets, 'not in the result');
    assert.doesNotMatch(JSON.stringify(info?.Config.Labels), secrets, 'not in any label');
    const history = readdirSync(join(stateDir, 'services')).map((f) =>
      readFileSync(join(stateDir, 'services', f), 'utf8'),
    );
    assert.doesNotMatch(history.join('\n'), secrets, 'not in the history');
    assert.match(history.join('\n'), new RegExp(`"${join(dir, 'app.env')}"`), 'the env file path, made absolute');
    const ps = await rundockJson(['ps', ...ADDRESSES], env);
    assert.doesNotMatch(ps.stdout, secrets, 'not in ps');

    const again = await runBin(args, { INHERITED: 'inherited-s3cr3t' });
    assert.equal((JSON.parse(again.stdout) as { changed: boolean }).changed, false, 'a second run changes nothing');
    writeFileSync(join(dir, 'app.env'), 'SECRET_TOKEN=s3cr3t-rotated\nSHARED=from-file\n');
    const dry = await runBin([...args, '--dry-run'], { INHERITED: 'inherited-s3cr3t' });
    const planned = JSON.parse(dry.stdout) as { changed: boolean; changes: { field: string }[] };
    assert.equal(planned.changed, true, 'a changed file redeploys');
    assert.deepEqual(
      planned.changes.map((c) => c.field),
      ['env (secret values)'],
    );
    assert.doesNotMatch(dry.stdout + dry.stderr, secrets, 'the changed value is not shown either');
  });
});

describe('a bare enable, restart, exec', () => {
  const name = uniqueName('bare');
  created.push(name);
  let port: number;

  it('a bare enable starts a disabled service unchanged: same container, same spec, same port', async () => {
    port = await freePort();
    const spec = ['--image', IMAGE, '--cmd', HTTPD, '--announce', String(port), '--port', '8080', '-e', 'MODE=prod'];
    assert.equal((await rundockJson(['enable', name, ...spec, ...ADDRESSES], env)).code, 0);
    const before = await inspectContainer(name);
    assert.equal((await rundockJson(['disable', name], env)).code, 0);
    assert.equal((await inspectContainer(name))?.State.Running, false);

    const started = await rundockJson<{ changed: boolean; changes: unknown[] }>(['enable', name, ...ADDRESSES], env);
    assert.equal(started.code, 0, started.stdout);
    assert.equal(started.json.changed, true);
    assert.deepEqual(started.json.changes, []);
    const now = await inspectContainer(name);
    assert.equal(now?.Id, before?.Id, 'the same container');
    assert.equal(now?.State.Running, true);
    assert.equal(now?.Config.Labels['io.rundock.spec-hash'], before?.Config.Labels['io.rundock.spec-hash']);
    assert.ok(now?.Config.Env.includes('MODE=prod'));
    assert.equal((await httpGet(port)).status, 200, 'on its port');
    const again = await rundockJson<{ changed: boolean }>(['enable', name, ...ADDRESSES], env);
    assert.equal(again.json.changed, false);
  });

  it('spec options without --image, or a bare enable of a service not deployed, exit 2 naming image', async () => {
    const partial = await rundock(['enable', name, '--announce', String(port), ...ADDRESSES], env);
    assert.equal(partial.code, 2);
    assert.match(partial.stderr, /image: is required with spec options/);
    const unknown = uniqueName('bare');
    const missing = await rundock(['enable', unknown, ...ADDRESSES], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, new RegExp(`image: is required: service ${unknown} is not deployed`));
    assert.deepEqual(await containersOf(unknown), []);
  });

  it('restart stops and starts the same container', async () => {
    const before = await inspectContainer(name);
    const restarted = await rundockJson<{ changed: boolean; actions: string[] }>(['restart', name, ...ADDRESSES], env);
    assert.equal(restarted.code, 0, restarted.stdout);
    assert.equal(restarted.json.changed, true);
    assert.ok(restarted.json.actions.some((a) => a.startsWith('stop')));
    const after = await inspectContainer(name);
    assert.equal(after?.Id, before?.Id);
    assert.ok(after?.State.Running);
    assert.notEqual(after?.State.StartedAt, before?.State.StartedAt, 'started again');
    assert.equal((await httpGet(port)).status, 200);
  });

  it('exec runs a command in the container and exits with its status; words after -- are its own', async () => {
    const result = await rundock([
      'exec',
      name,
      '--',
      'sh',
      '-c',
      'echo "$MODE" "$1"; echo oops >&2; exit 3',
      'x',
      '--json',
    ]);
    assert.equal(result.code, 3);
    assert.equal(result.stdout, 'prod --json\n');
    assert.equal(result.stderr, 'oops\n');
    const piped = spawn(process.execPath, [BIN, 'exec', '-i', name, '--', 'cat'], {
      env: { ...process.env, RUNDOCK_CONFIG: '/dev/null' },
    });
    let out = '';
    piped.stdout.on('data', (c: Buffer) => (out += c.toString()));
    piped.stdin.end('through stdin\n');
    assert.equal(await new Promise((resolve) => piped.on('exit', resolve)), 0);
    assert.equal(out, 'through stdin\n');
    const stopped = uniqueName('bare');
    const none = await rundock(['exec', stopped, '--', 'true']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /RUNDOCK_E_NOT_FOUND/);
  });
});

describe('logs', () => {
  const name = uniqueName('logs');
  created.push(name);
  const printer = (version: string): string =>
    `sh -c 'trap "exit 0" TERM; i=0; while true; do echo ${version}-$i; echo ${version}-err-$i >&2; i=$((i+1)); sleep 0.2; done'`;
  const deploy = (version: string): Promise<RunResult> =>
    rundock(['enable', name, '--image', IMAGE, '--cmd', printer(version), '--drain', '0s', ...ADDRESSES], env);

  it('--json prints JSON lines {time, stream, line}; --until stops at a time', async () => {
    assert.equal((await deploy('v1')).code, 0);
    await new Promise((r) => setTimeout(r, 1200));
    const json = await rundock(['logs', name, '--json', '--tail', '4']);
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { time: string; stream: string; line: string });
    assert.equal(lines.length, 4);
    for (const l of lines) {
      assert.ok(!Number.isNaN(Date.parse(l.time)), l.time);
      assert.match(l.line, l.stream === 'stdout' ? /^v1-\d+$/ : /^v1-err-\d+$/);
    }
    assert.deepEqual([...new Set(lines.map((l) => l.stream))].sort(), ['stderr', 'stdout']);
    const started = Date.parse((await inspectContainer(name))?.State.StartedAt ?? '');
    const until = await rundock(['logs', name, '--until', String(Math.floor(started / 1000))]);
    assert.equal(until.code, 0);
    assert.equal(until.stdout, '', 'nothing before the container started');
  });

  it('-f follows the service across a redeploy, then ends when it is disabled', async () => {
    const follow = spawn(process.execPath, [BIN, 'logs', '-f', name], {
      env: { ...process.env, RUNDOCK_CONFIG: '/dev/null' },
    });
    let out = '';
    follow.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => follow.on('exit', resolve));
    await waitFor(() => /v1-\d+/.test(out), 10_000);
    assert.equal((await deploy('v2')).code, 0);
    await waitFor(() => /v2-\d+/.test(out), 15_000);
    assert.equal((await rundock(['disable', name], env)).code, 0);
    assert.equal(await exited, 0, 'ends once the service has stopped');
    const v1 = out.indexOf('v1-');
    const v2 = out.indexOf('v2-');
    assert.ok(v1 >= 0 && v2 > v1, 'the old container, then the new one');
  });
});
