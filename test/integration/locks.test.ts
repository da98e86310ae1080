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
function running(args: readonly string[]): { pid: number; done: Promise<RunResult>; kill(): void } {
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
  return { pid: child.pid ?? 0, done, kill: () => void child.kill('SIGKILL') };
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
    first = await startAgent(['--domain', DOMAIN, '--hostname', 'node-l2', ...ADDRESSES]);
    assert.match(first.logs(), /agent started/);
  });
});

describe('one deploy of a service at a time', () => {
  const created: string[] = [];
  after(async () => removeContainers(...created.flatMap((n) => [n, `${n}_rundock_next`, `${n}_rundock_old`])));

  // No agent answers there: a deploy waits for Docker only (never for an agent another test left on 9476).
  const noAgent = ['--agent', '127.0.0.1:9'];
  /** enable NAME with VERSION in its environment; its health check passes after `delay` s (a slow deploy). */
  const enableArgs = (name: string, port: number, version: string, delay = 0): string[] => [
    ...['enable', name, '--image', IMAGE, '--announce', String(port), '--port', '8080', '-e', `VERSION=${version}`],
    ...['--cmd', httpdCmd(`sleep ${delay};`), '--health-cmd', 'wget -q -O /dev/null http://127.0.0.1:8080/'],
    ...['--health-interval', '1s', ...noAgent, ...ADDRESSES],
  ];
  const versionOf = async (name: string): Promise<string | undefined> =>
    (await inspectContainer(name))?.Config.Env?.find((e) => e.startsWith('VERSION='));

  it('a second enable while one is under way: refused, exit 2, one line naming it; the first one stands', async () => {
    const name = uniqueName('lk');
    created.push(name);
    const port = await freePort();
    const slow = running(enableArgs(name, port, '1', 3));
    await waitFor(async () => (await containersOf(name)).length > 0, 10_000, 20, 'the first deploy under way');
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
    const first = await slow.done;
    assert.equal(first.code, 0, first.stderr);
    assert.equal(await versionOf(name), 'VERSION=1');
  });

  it('with --wait the second waits, saying for whom, then deploys: the state is exactly the later one', async () => {
    const name = uniqueName('lk');
    created.push(name);
    const port = await freePort();
    const slow = running(enableArgs(name, port, '1', 3));
    await waitFor(async () => (await containersOf(name)).length > 0, 10_000, 20, 'the first deploy under way');
    const waiting = await rundock([...enableArgs(name, port, '2'), '--wait']);
    assert.equal(waiting.code, 0, waiting.stderr);
    assert.match(waiting.stderr, new RegExp(`waiting for the deploy of ${name} under way: pid ${slow.pid}, command`));
    assert.equal((await slow.done).code, 0);
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
    const slow = running(enableArgs(name, port, '1', 30));
    await waitFor(async () => (await containersOf(name)).length > 0, 10_000, 20, 'the deploy under way');
    slow.kill();
    await slow.done;
    const next = await rundock(enableArgs(name, port, '2'));
    assert.equal(next.code, 0, next.stderr);
    assert.equal(await versionOf(name), 'VERSION=2');
  });

  it('a dry run takes no lock: it plans while a deploy is under way', async () => {
    const name = uniqueName('lk');
    created.push(name);
    const port = await freePort();
    const slow = running(enableArgs(name, port, '1', 3));
    await waitFor(async () => (await containersOf(name)).length > 0, 10_000, 20, 'the first deploy under way');
    const dry = await rundock([...enableArgs(name, port, '2'), '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal((await slow.done).code, 0);
  });
});
