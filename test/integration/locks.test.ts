/**
 * One agent per Docker engine, one deploy of a service at a time (issue 19). Both locks are the kernel's: held by a
 * process until it ends, however it ends, so a crashed CLI or agent never leaves one behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startAgent, waitFor, type AgentProcess } from './agent-process.js';
import {
  ADDRESSES,
  BIN,
  containersOf,
  execIn,
  freePort,
  httpdCmd,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundock,
  uniqueName,
  type RunResult,
} from './harness.js';

const DOMAIN = 's.locks.example.com';

/** `rundock ARGS...` started now; `done` resolves with its result, `kill` ends it. */
function running(args: readonly string[]): {
  pid: number;
  done: Promise<RunResult>;
  stderr(): string;
  kill(): void;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, RUNDOCK_CONFIG: '/dev/null' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<RunResult>((resolve) =>
    child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr })),
  );
  return { pid: child.pid ?? 0, done, stderr: () => stderr, kill: () => void child.kill('SIGKILL') };
}

describe('one agent per Docker engine', () => {
  let first: AgentProcess | undefined;
  after(async () => void (await first?.stop('SIGKILL')));

  it('a second agent refuses to start, exit 2, naming the first; it starts once the first is gone', async () => {
    first = await startAgent(['--domain', DOMAIN, '--hostname', 'node-l1', ...ADDRESSES]);
    // Its own status address, or the first one's: either way the refusal names the agent, not a busy port.
    for (const status of [`127.0.0.1:${await freePort()}`, first.status]) {
      const second = await rundock(['agent', '--domain', DOMAIN, '--status-listen', status, ...ADDRESSES]);
      assert.equal(second.code, 2, second.stderr);
      assert.match(
        second.stderr,
        new RegExp(
          `^rundock: another rundock agent runs on this Docker engine \\(.*\\): pid ${first.pid}, status ${first.status}, host node-l1, since \\S+; one agent per engine \\(stop that one first\\) \\[RUNDOCK_E_AGENT_RUNNING\\]\\n$`,
        ),
      );
    }
    await first.stop('SIGKILL'); // the kernel lets go of its lock
    const next = await startAgent(['--domain', DOMAIN, '--hostname', 'node-l2', ...ADDRESSES]);
    first = next;
    await waitFor(() => next.logs().includes('agent started'), 10_000, 50, 'started');
  });
});

describe('one deploy of a service at a time', () => {
  const created: string[] = [];
  after(async () => removeContainers(...created.flatMap((n) => [n, `${n}_rundock_next`, `${n}_rundock_old`])));

  // No agent answers there: a deploy waits for Docker only (never for an agent another test left on 9476).
  const noAgent = ['--agent', '127.0.0.1:9'];
  /**
   * enable NAME with VERSION in its environment; `gated`: its web server starts (and its health check passes) only
   * once the test opens the gate (`open`), so the deploy is under way for as long as the test needs, however slow
   * the machine. Failed checks before that do not count (start period).
   */
  const enableArgs = (name: string, port: number, version: string, gated = false): string[] => [
    ...['enable', name, '--image', IMAGE, '--announce', String(port), '--port', '8080', '-e', `VERSION=${version}`],
    ...['--cmd', httpdCmd(gated ? 'until [ -e /tmp/gate ]; do sleep 0.1; done;' : '')],
    ...['--health-cmd', 'wget -q -O /dev/null http://127.0.0.1:8080/', '--health-interval', '1s'],
    ...['--health-start-period', '120s', '--timeout', '120', ...noAgent, ...ADDRESSES],
  ];
  /** The gated deploy's container (the only one of NAME) once it exists. */
  const gatedContainer = async (name: string): Promise<string> => {
    let id = '';
    await waitFor(
      async () => ((id = (await containersOf(name))[0]?.Id ?? ''), id !== ''),
      30_000,
      20,
      'the first deploy under way',
    );
    return id;
  };
  const open = async (id: string): Promise<void> => void (await execIn(id, ['touch', '/tmp/gate']));
  const versionOf = async (name: string): Promise<string | undefined> =>
    (await inspectContainer(name))?.Config.Env?.find((e) => e.startsWith('VERSION='));

  it('a second enable (apply, rollback, disable) while one is under way: refused, exit 2, one line naming it', async () => {
    const name = uniqueName('lk');
    created.push(name);
    const port = await freePort();
    const slow = running(enableArgs(name, port, '1', true));
    let finished = false;
    void slow.done.then(() => (finished = true));
    const gate = await gatedContainer(name);
    const second = await rundock(enableArgs(name, port, '2'));
    assert.equal(second.code, 2, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(
        `^rundock: another deploy of ${name} is under way on this host: pid ${slow.pid}, command rundock enable ${name}, since \\S+; nothing changed \\(--wait waits for it\\) \\[RUNDOCK_E_DEPLOY_IN_PROGRESS\\]\\n$`,
      ),
    );
    const file = join(mkdtempSync(join(tmpdir(), 'rundock-locks-')), 'services.yml');
    writeFileSync(file, `services:\n  ${name}:\n    image: ${IMAGE}\n    state: disabled\n`);
    for (const refused of [
      ['apply', file],
      ['rollback', name],
      ['disable', name],
    ]) {
      const r = await rundock([...refused, ...noAgent, ...ADDRESSES]);
      assert.equal(r.code, 2, `${refused.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /RUNDOCK_E_DEPLOY_IN_PROGRESS/);
    }
    // A dry run changes nothing: it takes no lock, and plans while the deploy is under way.
    const dry = await rundock([...enableArgs(name, port, '2'), '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(finished, false, 'the first deploy was under way throughout');
    await open(gate);
    const first = await slow.done;
    assert.equal(first.code, 0, first.stderr);
    assert.equal(await versionOf(name), 'VERSION=1');
  });

  it('with --wait the second waits, saying for whom, then deploys: the state is exactly the later one', async () => {
    const name = uniqueName('lk');
    created.push(name);
    const port = await freePort();
    const slow = running(enableArgs(name, port, '1', true));
    const gate = await gatedContainer(name);
    const second = running([...enableArgs(name, port, '2'), '--wait']);
    const says = new RegExp(`waiting for the deploy of ${name} under way: pid ${slow.pid}, command`);
    await waitFor(() => says.test(second.stderr()), 30_000, 20, 'the second says it waits, and for whom');
    assert.equal(await containersOf(name).then((c) => c.length), 1, 'the second changed nothing while it waited');
    await open(gate);
    assert.equal((await slow.done).code, 0);
    const waiting = await second.done;
    assert.equal(waiting.code, 0, waiting.stderr);
    assert.equal(await versionOf(name), 'VERSION=2');
    assert.deepEqual(
      (await containersOf(name)).map((c) => c.Names[0]),
      [`/${name}`],
      'one container, no leftover',
    );
  });

  it('a deploy killed in the middle leaves no lock: the next one runs at once', async () => {
    const name = uniqueName('lk');
    created.push(name);
    const port = await freePort();
    const slow = running(enableArgs(name, port, '1', true));
    const id = await gatedContainer(name);
    // Killed while it waits for health: its container started (a kill between Docker's create and start would leave
    // the next deploy racing Docker's own start for the port, a different matter).
    await waitFor(
      async () => (await inspectContainer(id))?.State.Running === true,
      30_000,
      20,
      'the first one started',
    );
    slow.kill();
    await slow.done;
    const next = await rundock(enableArgs(name, port, '2'));
    assert.equal(next.code, 0, next.stderr);
    assert.equal(await versionOf(name), 'VERSION=2');
  });
});
