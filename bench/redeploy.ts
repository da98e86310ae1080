/**
 * Redeploys under load through nginx, on one host: an agent (embedded registry) with its gateway in front of a real
 * nginx, and `rundock enable` run REDEPLOYS times, each changing one `-e` value, while wrk sends requests through
 * nginx. Three scenarios in the same run: `--announce auto` (overlap) with `Connection: close`, the same with
 * keep-alive connections, and a fixed announce port (withdraw, drain, swap) with `Connection: close`.
 *
 * Usage: node --import tsx bench/redeploy.ts [REDEPLOYS]   (default 20; bench/redeploy.sh wraps it)
 * Needs dockerd and the test image (scripts/test-env.sh up), nginx and wrk, and a build (npm run build).
 * Markdown on stdout, progress on stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type AgentProcess } from '../test/integration/agent-process.js';
import { startNginx, type NginxProcess } from '../test/integration/gateway/nginx-process.js';
import { ADDRESSES, docker, freePort, httpdCmd, IMAGE, rundockJson } from '../test/integration/harness.js';
import { upstreamServers } from '../test/integration/load.js';
import { median, nowMs, parseNanoTime, percentile, progress, removeByPrefix, runBench, table } from './common.js';

const PREFIX = 'bench-redeploy';
const DRAIN = '1s';

interface Scenario {
  name: string;
  service: string;
  announce: string;
  keepAlive: boolean;
}

interface Outcome {
  scenario: Scenario;
  wrk: WrkResult;
  /** How long, per redeploy, nginx had no server for the service (the single-host gap of a fixed port). */
  gapMs: number[];
  wallMs: number[];
  /** Wall time minus (the new container healthy, counted from the command's start) minus the drain. */
  overheadMs: number[];
  /** Of that, Docker's stop and removal of the old container. */
  stopRemoveMs: number[];
  handover: string;
}

let nginx: NginxProcess | undefined;
let agent: AgentProcess | undefined;
let stateDir: string | undefined;

async function main(): Promise<void> {
  const redeploys = Number(process.argv[2] ?? 20);
  if (!Number.isInteger(redeploys) || redeploys < 1 || redeploys > 200)
    throw new Error('usage: redeploy.ts [REDEPLOYS 1..200]');
  nginx = await startNginx(2);
  stateDir = await mkdtemp(join(tmpdir(), 'rundock-bench-redeploy-'));
  const routePort = await freePort();
  const scenarios: Scenario[] = [
    {
      name: 'announce auto (overlap), Connection: close',
      service: `${PREFIX}-auto`,
      announce: 'auto',
      keepAlive: false,
    },
    { name: 'announce auto (overlap), keep-alive', service: `${PREFIX}-auto`, announce: 'auto', keepAlive: true },
    {
      name: 'fixed port (withdraw, drain, swap), Connection: close',
      service: `${PREFIX}-fixed`,
      announce: String(await freePort()),
      keepAlive: false,
    },
  ];
  const o = nginx.options;
  const routes = [...new Set(scenarios.map((s) => s.service))].flatMap((s) => ['--route', `${s}.example.com=${s}`]);
  agent = await startAgent([
    '--domain',
    's.bench.example.com',
    '--hostname',
    'bench',
    '--state-dir',
    join(stateDir, 'agent'),
    '--stable-after',
    '1s',
    ...ADDRESSES,
    '--nginx-conf-dir',
    nginx.confDir,
    '--nginx',
    o.bin ?? '',
    '--nginx-prefix',
    o.prefix ?? '',
    '--nginx-conf',
    o.conf ?? '',
    '--nginx-error-log',
    o.errorLog ?? '',
    '--nginx-pid-file',
    o.pidFile ?? '',
    ...routes,
    '--route-listen',
    `127.0.0.1:${routePort}`,
  ]);
  const outcomes: Outcome[] = [];
  // BENCH_SCENARIO=overlap|keep-alive|fixed runs one scenario only (to hunt a rare failure with more redeploys).
  const only = process.env.BENCH_SCENARIO;
  for (const scenario of scenarios)
    if (only === undefined || scenario.name.includes(only))
      outcomes.push(await runScenario(scenario, redeploys, routePort));
  console.log(report(outcomes, redeploys));
}

async function runScenario(scenario: Scenario, redeploys: number, routePort: number): Promise<Outcome> {
  const env = { RUNDOCK_AGENT: agent?.status ?? '', RUNDOCK_STATE_DIR: join(stateDir ?? '', 'cli') };
  const enable = (i: number): Promise<{ code: number; stdout: string; json: Record<string, unknown> }> =>
    rundockJson(
      [
        'enable',
        scenario.service,
        '--image',
        IMAGE,
        '--cmd',
        httpdCmd(),
        '--announce',
        scenario.announce,
        '--port',
        '8080',
        '--args',
        `-e GENERATION=${i}`,
        '--health-cmd',
        'wget -q -O /dev/null http://127.0.0.1:8080/',
        '--health-interval',
        '500ms',
        '--health-retries',
        '2',
        '--drain',
        DRAIN,
        '--timeout',
        '30',
        ...ADDRESSES,
      ],
      env,
    );
  const first = await enable(0);
  if (first.code !== 0) throw new Error(`first deploy failed: ${first.stdout}`);
  const wrk = startWrk(routePort, `${scenario.service}.example.com`, scenario.keepAlive);
  const wallMs: number[] = [];
  const overheadMs: number[] = [];
  const gapMs: number[] = [];
  const stopRemoveMs: number[] = [];
  let handover = '';
  for (let i = 1; i <= redeploys; i++) {
    const gap = emptyUpstreamTime(
      join(nginx?.confDir ?? '', 'rundock-upstreams.conf'),
      `rundock_${scenario.service.replaceAll('-', '_')}`,
    );
    const started = nowMs();
    const r = await enable(i);
    const wall = nowMs() - started;
    gapMs.push(await gap.stop());
    if (r.code !== 0) {
      const warnings = (agent?.logs() ?? '').split('\n').filter((l) => /"level":[4-6]0/.test(l));
      throw new Error(`redeploy ${i} failed: ${r.stdout}\nthe agent's warnings:\n${warnings.slice(-20).join('\n')}`);
    }
    handover = String(r.json.handover);
    const healthyAt = await healthyTime(String((r.json.after as { id: string }).id));
    wallMs.push(wall);
    overheadMs.push(wall - (healthyAt - started) - 1000);
    const timings = r.json.timings as { action: string; ms: number }[];
    const took = (op: string): number =>
      timings.findLast((t) => t.action.startsWith(`${op} ${scenario.service} (`))?.ms ?? 0;
    stopRemoveMs.push(took('stop') + took('remove'));
    progress(
      `${scenario.name}: redeploy ${i}/${redeploys} at +${Math.round((started - wrk.startedAt) / 1000)} s took ${Math.round(wall)} ms`,
    );
  }
  return { scenario, wrk: await wrk.stop(), wallMs, overheadMs, stopRemoveMs, gapMs, handover };
}

/** Samples the rendered file every 2 ms until stopped: the time `upstream` had no server. */
function emptyUpstreamTime(file: string, upstream: string): { stop(): Promise<number> } {
  let stopped = false;
  let empty = 0;
  const loop = (async () => {
    let last = nowMs();
    while (!stopped) {
      const servers = upstreamServers(await readFile(file, 'utf8').catch(() => ''), upstream);
      const now = nowMs();
      if (servers.length === 0) empty += now - last;
      last = now;
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return empty;
    },
  };
}

/** When Docker first saw the container healthy (the end of its first passing health check). */
async function healthyTime(id: string): Promise<number> {
  const log = (await docker.getContainer(id).inspect()).State.Health?.Log ?? [];
  const passed = log.find((entry) => entry.ExitCode === 0);
  if (passed === undefined) throw new Error(`container ${id} has no passing health check in its log`);
  return parseNanoTime(passed.End);
}

interface WrkResult {
  /** Responses by status, `200=1234,502=3`. */
  statuses: string;
  /** When (s since wrk started) each non-2xx response came, `12:502,...` (the first 200 per thread). */
  failedAt: string;
  requests: number;
  non2xx: number;
  socketErrors: string;
  p99: string;
}

/** wrk through nginx until stopped (SIGINT makes it print its summary). */
function startWrk(port: number, host: string, keepAlive: boolean): { startedAt: number; stop(): Promise<WrkResult> } {
  const headers = ['-H', `Host: ${host}`, ...(keepAlive ? [] : ['-H', 'Connection: close'])];
  const child = spawn(
    'wrk',
    [
      '-t',
      '2',
      '-c',
      '8',
      '-d',
      '600s',
      '--latency',
      '-s',
      new URL('./wrk-status.lua', import.meta.url).pathname,
      ...headers,
      `http://127.0.0.1:${port}/`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    startedAt: nowMs(),
    async stop() {
      child.kill('SIGINT');
      await exited;
      const number = (re: RegExp): number => Number(re.exec(out)?.[1] ?? 0);
      return {
        requests: number(/(\d+) requests in/),
        non2xx: number(/Non-2xx or 3xx responses: (\d+)/),
        socketErrors: /Socket errors: (.*)/.exec(out)?.[1] ?? 'none',
        p99: /99%\s+(\S+)/.exec(out)?.[1] ?? '?',
        statuses: /STATUSES (.*)/.exec(out)?.[1] ?? '',
        failedAt: /FAILED_AT (.*)/.exec(out)?.[1] ?? '',
      };
    },
  };
}

function report(outcomes: Outcome[], redeploys: number): string {
  const ms = (v: number): string => `${Math.round(v)} ms`;
  const rows = outcomes.map(({ scenario, wrk, wallMs, overheadMs, stopRemoveMs, gapMs, handover }) => [
    scenario.name,
    handover,
    String(wrk.requests),
    `${wrk.non2xx}${
      wrk.non2xx > 0
        ? ` (${wrk.statuses
            .split(',')
            .filter((x) => !x.startsWith('200='))
            .join(', ')}; at ${wrk.failedAt.split(',').slice(0, 5).join(' ')} s)`
        : ''
    }`,
    wrk.socketErrors,
    wrk.p99,
    `${ms(median(gapMs))} (max ${ms(Math.max(...gapMs))})`,
    `${ms(median(wallMs))} (max ${ms(Math.max(...wallMs))})`,
    `${ms(median(overheadMs))} (p95 ${ms(percentile(overheadMs, 95))})`,
    ms(median(stopRemoveMs)),
  ]);
  return [
    `Run of ${new Date().toISOString().slice(0, 10)}: ${redeploys} redeploys per scenario under wrk (2 threads, 8 connections) through nginx, drain ${DRAIN}, Docker health check every 500 ms.`,
    '',
    table(
      [
        'scenario',
        'hand-over',
        'requests',
        'non-2xx',
        'socket errors',
        'p99 latency',
        'no server in nginx, per redeploy (median)',
        'redeploy wall time (median)',
        'wall - (new container healthy + drain), median',
        'of which Docker stops and removes the old container',
      ],
      rows,
    ),
  ].join('\n');
}

void runBench(main, async () => {
  await removeByPrefix(PREFIX);
  await agent?.stop();
  await nginx?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});
