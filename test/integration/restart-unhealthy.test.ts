/**
 * restart_unhealthy (issue 12): Docker never restarts a container whose health check fails (moby issue 28400); the
 * agent does, after N failed checks in a row, and announces it again once it is healthy (and up for
 * --stable-after), never while it is not. The test image's health check starts failing after start: the container
 * deletes the file its check tests for, 4 s after each start.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const DOMAIN = 's.restart.example.com';

interface Status {
  service: string;
  health?: string;
  announced: boolean;
  reason: string;
  unhealthy_restarts?: number;
  last_unhealthy_restart?: string;
}

describe('the agent restarts unhealthy containers (--restart-unhealthy)', () => {
  let agent: AgentProcess;
  const created: string[] = [];

  before(async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'rundock-restart-'));
    agent = await startAgent([
      '--domain',
      DOMAIN,
      '--hostname',
      'node-r1',
      '--state-dir',
      stateDir,
      '--stable-after',
      '2s',
      ...ADDRESSES,
    ]);
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await removeContainers(...created);
  });

  const statusOf = async (name: string): Promise<Status | undefined> => {
    const body = (await (await fetch(`http://${agent.status}/status`)).json()) as { services: Status[] };
    return body.services.find((s) => s.service === name);
  };

  it('restarts it after 3 failed checks and announces it again once healthy, never while it is not', async () => {
    const name = uniqueName('unh');
    created.push(name);
    const port = await freePort();
    const result = await rundock([
      'enable',
      name,
      '--image',
      IMAGE,
      '--cmd',
      httpdCmd('touch /tmp/ok; (sleep 4; rm -f /tmp/ok) &'),
      '--announce',
      String(port),
      '--port',
      '8080',
      '--health-cmd',
      'test -f /tmp/ok',
      '--health-interval',
      '1s',
      '--health-retries',
      '1',
      '--restart-unhealthy',
      '3',
      ...ADDRESSES,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await inspectContainer(name))?.Config.Labels?.['io.rundock.restart-unhealthy'], '3');
    await waitFor(async () => (await statusOf(name))?.announced === true, 10_000, 100);
    const firstStart = (await inspectContainer(name))?.State.StartedAt;

    // Until it is announced again after a restart: never announced while Docker says it is not healthy.
    // Docker's verdict reaches the agent as an event a moment after inspect shows it: an announcement is wrong once
    // Docker has said unhealthy for longer than that (a second), not in the instant between the two reads.
    const seen: Status[] = [];
    let unhealthySince: number | undefined;
    await waitFor(
      async () => {
        const state = await inspectContainer(name);
        const status = await statusOf(name);
        if (status === undefined) return false;
        seen.push(status);
        const health = state?.State.Health?.Status;
        unhealthySince = health === 'unhealthy' ? (unhealthySince ?? Date.now()) : undefined;
        assert.ok(!(status.announced && status.health !== 'healthy'), `announced while ${status.health}`);
        const late = unhealthySince !== undefined && Date.now() - unhealthySince > 1000;
        assert.ok(!(status.announced && late), `announced while Docker has said ${health} for over a second`);
        return status.announced && (status.unhealthy_restarts ?? 0) >= 1;
      },
      30_000,
      100,
    );
    assert.notEqual((await inspectContainer(name))?.State.StartedAt, firstStart, 'Docker restarted it');
    const counting = seen.find((s) => /of 3 failed checks before the agent restarts it/.test(s.reason));
    assert.ok(counting !== undefined, `reasons seen: ${[...new Set(seen.map((s) => s.reason))].join(' | ')}`);
    assert.ok(seen.some((s) => !s.announced && /^health check: unhealthy/.test(s.reason)));

    const metrics = await (await fetch(`http://${agent.status}/metrics`)).text();
    assert.match(metrics, new RegExp(`rundock_agent_unhealthy_restarts_total\\{service="${name}",outcome="ok"\\} 1`));
    const ps = await rundockJson<{ services: { name: string; unhealthy_restarts: number | null }[] }>([
      'ps',
      '--agent',
      agent.status,
      ...ADDRESSES,
    ]);
    assert.equal(ps.json.services.find((s) => s.name === name)?.unhealthy_restarts, 1);
    const table = await rundock(['ps', '--agent', agent.status, ...ADDRESSES]);
    assert.match(table.stdout, new RegExp(`${name} .* 0 \\(\\+1 unhealthy\\)`));

    // 4 s after the restart its check fails again: the second restart waits out the backoff (10 s after the
    // first), unannounced, and the reason says when it is due.
    await waitFor(
      async () => /next restart at \d{4}-\d\d-\d\dT/.test((await statusOf(name))?.reason ?? ''),
      20_000,
      100,
    );
    const waiting = await statusOf(name);
    assert.equal(waiting?.announced, false);
    assert.equal(waiting?.unhealthy_restarts, 1);
  });

  it("counts the agent's probe failures too: restarted after 2 failed probes, announced again once they pass", async () => {
    const name = uniqueName('unp');
    created.push(name);
    const port = await freePort();
    const result = await rundock([
      'enable',
      name,
      '--image',
      IMAGE,
      '--cmd',
      httpdCmd('echo ok > /www/ok; (sleep 3; rm -f /www/ok) &'),
      '--announce',
      String(port),
      '--port',
      '8080',
      '--probe',
      'http:/ok',
      '--probe-interval',
      '500ms',
      '--restart-unhealthy',
      '2',
      ...ADDRESSES,
    ]);
    assert.equal(result.code, 0, result.stderr);
    await waitFor(async () => (await statusOf(name))?.announced === true, 10_000, 100);
    const firstStart = (await inspectContainer(name))?.State.StartedAt;
    await waitFor(async () => (await statusOf(name))?.unhealthy_restarts === 1, 20_000, 100);
    await waitFor(async () => (await inspectContainer(name))?.State.StartedAt !== firstStart, 15_000, 100);
    await waitFor(async () => (await statusOf(name))?.announced === true, 10_000, 100);
  });
});
