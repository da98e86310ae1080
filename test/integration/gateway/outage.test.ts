/**
 * An outage as an operator reads it: the agent's gateway with nginx not running logs one warning when that starts
 * (no stack trace per retry), answers 503 on /readyz with the reason while /healthz stays ok, and logs one line when
 * nginx is back; it finds nginx's pid file itself from the configuration (`nginx -T`, no --nginx-pid-file).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, waitFor, type AgentProcess } from '../agent-process.js';
import { ADDRESSES } from '../harness.js';
import { startNginx, type NginxProcess } from './nginx-process.js';

const get = async (url: string): Promise<{ status: number; body: string }> => {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
};

/** The pid in nginx's pid file; 0 when it is missing or empty (nginx -t leaves it empty). */
const pidIn = (file: string): number => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0);

/** The agent's JSON log lines about one condition. */
function conditionLines(agent: AgentProcess, condition: string): { msg: string; level: number }[] {
  return agent
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; level: number; condition?: string })
    .filter((line) => line.condition === condition);
}

describe('the gateway while nginx is down (agent --nginx-conf-dir, no --nginx-pid-file)', () => {
  let nginx: NginxProcess;
  let agent: AgentProcess;
  let stateDir: string;
  let pidFile: string;

  before(async () => {
    nginx = await startNginx();
    pidFile = nginx.options.pidFile ?? '';
    // nginx stopped before the gateway starts: the rendered file waits, the reload keeps failing.
    const master = pidIn(pidFile);
    assert.ok(master > 1);
    process.kill(master, 'SIGQUIT');
    await waitFor(() => !existsSync(pidFile), 10_000, 50);
    stateDir = await mkdtemp(join(tmpdir(), 'rundock-outage-'));
    const o = nginx.options;
    agent = await startAgent([
      ...['--domain', 'outage.test', '--hostname', 'single', '--state-dir', stateDir, ...ADDRESSES],
      ...['--nginx-conf-dir', nginx.confDir, '--nginx', o.bin, '--nginx-prefix', o.prefix ?? ''],
      ...['--nginx-conf', o.conf ?? '', '--nginx-error-log', o.errorLog ?? '', '--min-wait', '50ms'],
    ]);
  });

  after(async () => {
    await agent?.stop();
    const pid = pidIn(pidFile);
    if (pid > 1) process.kill(pid, 'SIGQUIT');
    await waitFor(() => !existsSync(pidFile), 10_000, 50).catch(() => undefined);
    await nginx?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('logs one warning, not a stack per retry; /readyz says why; one line when nginx is back', async () => {
    await waitFor(async () => (await get(`http://${agent.status}/readyz`)).status === 503, 10_000, 100);
    const notReady = await get(`http://${agent.status}/readyz`);
    assert.match(notReady.body, /^not ready\ngateway nginx: reload failed: the nginx pid file \S+ is empty/);
    assert.ok(notReady.body.includes(pidFile), 'the pid file nginx -T names');
    assert.equal((await get(`http://${agent.status}/healthz`)).status, 200, 'alive all along');
    const status = JSON.parse((await get(`http://${agent.status}/status`)).body) as { docker: { ok: boolean } };
    assert.deepEqual(status.docker, { ok: true });
    // Wait for the proof that retries happened (three failed reloads counted), then count the warnings.
    const failedReloads = async (): Promise<number> => {
      const text = (await get(`http://${agent.status}/metrics`)).body;
      return Number(/^rundock_gateway_reloads_total\{outcome="reload_failed"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    await waitFor(async () => (await failedReloads()) >= 3, 20_000, 100, 'three failed reloads');
    const during = conditionLines(agent, 'nginx');
    assert.equal(during.length, 1, JSON.stringify(during));
    assert.equal(during[0]?.level, 40);
    assert.match(during[0]?.msg ?? '', /^nginx unavailable: reload failed: the nginx pid file \S+ is empty/);
    assert.ok(!agent.logs().includes('"stack"'), 'no stack trace in the log');

    // nginx back (daemonized, same configuration); SIGHUP asks the gateway to render and reload now.
    const o = nginx.options;
    const started = spawnSync(o.bin, ['-p', o.prefix ?? '', '-c', o.conf ?? '', '-e', o.errorLog ?? '']);
    assert.equal(started.status, 0, started.stderr.toString());
    await waitFor(() => pidIn(pidFile) > 1, 10_000, 50);
    process.kill(agent.pid, 'SIGHUP');
    await waitFor(async () => (await get(`http://${agent.status}/readyz`)).status === 200, 15_000, 100);
    const lines = conditionLines(agent, 'nginx');
    assert.deepEqual(
      lines.map((l) => l.msg.split(':')[0]),
      ['nginx unavailable', 'nginx available again'],
    );
  });
});
