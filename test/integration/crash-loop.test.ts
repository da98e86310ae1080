/**
 * A single crash costs one restart and one passing check; a crash loop is never announced (issue 19). Real dockerd:
 * the container's process is SIGKILLed from outside (a crash: Docker's restart policy restarts it), or the container
 * exits by itself after a second. `ps` and the agent's status say which rule holds a container back, and until when.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAgent, waitFor, type AgentProcess } from './agent-process.js';
import {
  ADDRESSES,
  freePort,
  httpdCmd,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundock,
  rundockJson,
  uniqueName,
} from './harness.js';

const DOMAIN = 's.crash.example.com';

interface Status {
  service: string;
  announced: boolean;
  reason: string;
  held_until?: string;
  restarts: number;
}

describe('crashes and crash loops', () => {
  let agent: AgentProcess;
  const created: string[] = [];
  const statusOf = async (name: string): Promise<Status | undefined> => {
    const body = (await (await fetch(`http://${agent.status}/status`)).json()) as { services: Status[] };
    return body.services.find((s) => s.service === name);
  };

  before(async () => {
    // A single crash must not wait for --stable-after (3 s here, 10 s by default).
    agent = await startAgent([
      ...['--domain', DOMAIN, '--hostname', 'node-c1', '--stable-after', '3s'],
      ...['--crash-loop-restarts', '3', '--crash-loop-window', '60s', ...ADDRESSES],
    ]);
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await removeContainers(...created);
  });

  /** Enables `cmd` as a web service on a free port; `check` is a Docker health check or an agent probe. */
  async function enable(cmd: string, check: string[], extra: string[] = []): Promise<string> {
    const name = uniqueName('cl');
    created.push(name);
    const port = String(await freePort());
    const args = ['enable', name, '--image', IMAGE, '--cmd', cmd, '--announce', port, '--port', '8080'];
    await rundock([...args, ...check, ...extra, ...ADDRESSES]);
    return name;
  }

  it('a single crash: announced again within 1 s of its first passing health check, not after --stable-after', async () => {
    const health = ['--health-cmd', 'wget -q -O /dev/null http://127.0.0.1:8080/', '--health-interval', '1s'];
    const name = await enable(httpdCmd(), health);
    await waitFor(async () => (await statusOf(name))?.announced === true, 10_000, 50, 'announced');
    await new Promise((r) => setTimeout(r, 3000)); // it served: up for --stable-after
    const pid = (await inspectContainer(name))?.State.Pid ?? 0;
    const killed = Date.now();
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => (await statusOf(name))?.announced === false, 2000, 20, 'withdrawn');
    await waitFor(async () => (await statusOf(name))?.announced === true, 9000, 20, 'announced again');
    const announced = Date.now();
    const state = await inspectContainer(name);
    const passed = (state?.State.Health?.Log ?? [])
      .filter((l) => l.ExitCode === 0 && Date.parse(l.End) > killed)
      .map((l) => Date.parse(l.End));
    const firstPass = Math.min(...passed);
    process.stderr.write(
      `# single crash: restarted (${state?.RestartCount} restarts), first passing check ${firstPass - killed} ms after the kill, announced ${announced - killed} ms after it\n`,
    );
    assert.equal(state?.RestartCount, 1);
    assert.ok(passed.length > 0, 'a passing check after the restart');
    assert.ok(announced - firstPass <= 1000, `announced ${announced - firstPass} ms after its first passing check`);
    const restartedAt = Date.parse(state?.State.StartedAt ?? '');
    assert.ok(announced - restartedAt < 3000, 'before the restarted container was up for --stable-after');
  });

  it('a container that exits after 1 s: never announced again after its first crash; ps names the rule and the time', async () => {
    const probe = ['--probe', 'http:/', '--probe-interval', '200ms'];
    // Serving at once, passing its probe within its one second: only the crash-loop rule keeps it out.
    const name = await enable(`sh -c 'httpd -f -p 8080 -h /www & sleep 1; exit 1'`, probe, ['--timeout', '5']);
    const seen: Status[] = [];
    await waitFor(
      async () => {
        const status = await statusOf(name);
        if (status !== undefined && status.restarts >= 1) seen.push(status);
        return ((await inspectContainer(name))?.RestartCount ?? 0) >= 4;
      },
      30_000,
      50,
      'four restarts',
    );
    assert.ok(seen.length > 5, `${seen.length} looks after its first restart`);
    assert.deepEqual(
      seen.filter((s) => s.announced),
      [],
      'announced after a crash',
    );
    const held = seen.find((s) => s.reason.startsWith('crash loop'));
    assert.match(
      held?.reason ?? '',
      /^crash loop: restarted after 1(\.\d)? s up \(under --stable-after 3 s\); held back until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    assert.match(held?.held_until ?? '', /Z$/);
    const ps = await rundockJson<{ services: { name: string; announced: boolean; reason: string }[] }>([
      ...['ps', '--agent', agent.status],
      ...ADDRESSES,
    ]);
    const row = ps.json.services.find((s) => s.name === name);
    assert.equal(row?.announced, false);
    assert.match(row?.reason ?? '', /^crash loop: |^restarting|^not running/);
  });

  it('crashes after serving for longer than --stable-after, 2 within the window: the second is a crash loop', async () => {
    const second = await startAgent([
      ...['--domain', DOMAIN, '--hostname', 'node-c2', '--stable-after', '1s'],
      ...['--crash-loop-restarts', '2', '--crash-loop-window', '60s', ...ADDRESSES],
    ]).catch((error: unknown) => error as Error);
    // One agent per engine: the first one must make way.
    assert.ok(second instanceof Error && /another rundock agent runs on this Docker engine/.test(second.message));
    await agent.stop('SIGTERM');
    agent = await startAgent([
      ...['--domain', DOMAIN, '--hostname', 'node-c2', '--stable-after', '1s'],
      ...['--crash-loop-restarts', '2', '--crash-loop-window', '60s', ...ADDRESSES],
    ]);
    const probe = ['--probe', 'http:/', '--probe-interval', '200ms'];
    const name = await enable(`sh -c 'httpd -f -p 8080 -h /www & sleep 2.5; exit 1'`, probe, ['--timeout', '5']);
    const restarts = async (): Promise<number> => (await inspectContainer(name))?.RestartCount ?? 0;
    await waitFor(async () => (await restarts()) === 1, 10_000, 20, 'first crash');
    await waitFor(
      async () => (await statusOf(name))?.announced === true || (await restarts()) > 1,
      3000,
      20,
      'announced again after the first crash',
    );
    assert.equal(await restarts(), 1, 'announced again before its second crash');
    await waitFor(async () => (await restarts()) === 2, 10_000, 20, 'second crash');
    await waitFor(async () => /^crash loop: 2 restarts in 60 s/.test((await statusOf(name))?.reason ?? ''), 3000, 20);
    const held = await statusOf(name);
    assert.equal(held?.announced, false);
    assert.match(
      held?.reason ?? '',
      /^crash loop: 2 restarts in 60 s \(--crash-loop-restarts 2\); held back until \S+Z$/,
    );
  });
});
