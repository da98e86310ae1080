/**
 * What clients see of a crash, a crash loop and agent restarts (issue 19), on one host behind nginx (single-host.ts).
 *
 * Usage: node --import tsx bench/agent-faults.ts crash [RUNS] | loop [SECONDS] | restarts [COUNT] | expire [RUNS]
 *   crash     a healthy service (Docker health check every 1 s) that has served for 11 s is SIGKILLed (its process,
 *             from outside: a crash Docker's restart policy restarts); a client sends a request through nginx every
 *             50 ms: failed requests and time out of nginx (the kill to the first success after the last failure).
 *             Runs are a --crash-loop-window (60 s) apart, so that each is a single crash. RUNS: 5.
 *   loop      a service whose process exits after 1 s, forever, with an agent probe every 200 ms that passes while it
 *             runs: DNS answers for its name, asked every 100 ms for SECONDS (120) from its first crash.
 *   restarts  wrk through nginx (rundock gateway, etcd) to a service while the backend's agent is stopped (SIGTERM)
 *             and started COUNT times (20): failed requests.
 *   expire    the agent stopped (SIGTERM) and not started again, lease TTL 5 s: when its records are gone from etcd,
 *             RUNS times (5).
 * The rundock that runs is RUNDOCK_BIN (default this checkout's build): run again with another build (main's) for the
 * reference column. Needs dockerd, the test image, nginx, etcd, wrk (bash scripts/test-env.sh up) and `npm run build`;
 * no other rundock agent on this Docker engine. Markdown on stdout, progress on stderr; removes what it started.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { startAgent, waitFor, type AgentProcess } from '../test/integration/agent-process.js';
import { addressesOf, udpQuery } from '../test/integration/dns/client.js';
import { startNginx, type NginxProcess } from '../test/integration/gateway/nginx-process.js';
import { parseWrk, WRK_BIN, type WrkResult } from '../test/integration/gateway/wrk.js';
import { ADDRESSES, BIN, docker, freePort, httpdCmd } from '../test/integration/harness.js';
import { startEtcd, type EtcdProcess } from '../test/integration/registry/etcd-process.js';
import { median, progress, removeByPrefix, runBench, sleep, table } from './common.js';
import { DOMAIN, enableWeb, HOST_HEADER, startSingleHost, through, type SingleHost } from './single-host.js';

const PREFIX = 'bench-af-';
const HEALTH = ['--health-cmd', 'wget -q -O /dev/null http://127.0.0.1:8080/', '--health-interval', '1s'];
/** The agent's default --crash-loop-window. */
const CRASH_LOOP_WINDOW_MS = 60_000;
const stoppers: (() => Promise<void>)[] = [];
const name = (): string => `${PREFIX}${randomBytes(3).toString('hex')}`;
const build = `RUNDOCK_BIN=${process.env.RUNDOCK_BIN ?? '(this build)'}`;

/** The requests of a client through nginx, one every `everyMs`, with their times and statuses. */
function client(port: number, everyMs: number): { stop(): Promise<{ at: number; status: number }[]> } {
  const seen: { at: number; status: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      seen.push({ at, status: await through(port, 3000) });
      await sleep(Math.max(0, everyMs - (Date.now() - at)));
    }
  })();
  return { stop: async () => ((running = false), await loop, seen) };
}

async function crash(runs: number): Promise<void> {
  const service = name();
  const host = await startSingleHost(service);
  stoppers.push(() => host.stop());
  await enableWeb(service, httpdCmd(), HEALTH, host.agent.status);
  const rows: string[][] = [];
  let previousKill = 0;
  for (let i = 1; i <= runs; i++) {
    await waitFor(async () => (await through(host.routePort)) === 200, 30_000, 50, 'served through nginx');
    // Served for longer than --stable-after (10 s), and the previous crash out of --crash-loop-window (60 s; a 3rd
    // restart within it is a crash loop): what follows is a single crash.
    await sleep(Math.max(11_000, previousKill + CRASH_LOOP_WINDOW_MS + 1000 - Date.now()));
    const load = client(host.routePort, 50);
    await sleep(1000);
    const pid = (await docker.getContainer(service).inspect()).State.Pid;
    const killed = Date.now();
    previousKill = killed;
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => (await through(host.routePort)) === 200 && Date.now() - killed > 500, 60_000, 20);
    const servedAgain = Date.now();
    await sleep(1000);
    const seen = (await load.stop()).filter((r) => r.at >= killed);
    const failed = seen.filter((r) => r.status !== 200);
    const lastFailure = failed.at(-1)?.at ?? killed;
    // The first success the client saw after its last failure (the check above, if the client saw none since).
    const back = seen.find((r) => r.at > lastFailure && r.status === 200)?.at ?? servedAgain;
    const out = failed.length === 0 ? 0 : back - killed;
    progress(`crash ${i}/${runs}: ${failed.length} of ${seen.length} requests failed, out of nginx ${out} ms`);
    rows.push([String(i), `${out} ms`, `${failed.length} of ${seen.length}`]);
  }
  console.log(`Single crash (${build}): SIGKILL of a healthy service's process, health check every 1 s\n`);
  console.log(table(['run', 'kill to serving again', 'requests failed (one every 50 ms)'], rows));
}

async function loop(seconds: number): Promise<void> {
  const service = name();
  const host: SingleHost = await startSingleHost(service);
  stoppers.push(() => host.stop());
  const probe = ['--probe', 'http:/', '--probe-interval', '200ms', '--timeout', '5'];
  const started = Date.now();
  await enableWeb(service, `sh -c 'httpd -f -p 8080 -h /www & sleep 1; exit 1'`, probe, host.agent.status).catch(
    () => undefined,
  );
  const restarts = async (): Promise<number> => (await docker.getContainer(service).inspect()).RestartCount;
  await waitFor(async () => (await restarts()) >= 1, 30_000, 20, 'first crash');
  const crashed = Date.now();
  let [asked, answered, unanswered] = [0, 0, 0];
  while (Date.now() - crashed < seconds * 1000) {
    asked++;
    // No reply in time (a loaded machine) is counted apart: it is no answer, and no proof of none either.
    const reply = await udpQuery(host.dnsPort, `${service}.${DOMAIN}`, 'A').catch(() => undefined);
    if (reply === undefined) unanswered++;
    else if (addressesOf(reply).length > 0) answered++;
    await sleep(100);
  }
  console.log(`Crash loop (${build}): exits 1 s after each start; probe every 200 ms\n`);
  console.log(
    table(
      ['from', 'for', 'DNS questions', 'answered with an address', 'no reply in time', 'restarts'],
      [
        [
          `its first crash (${crashed - started} ms after enable)`,
          `${seconds} s`,
          String(asked),
          String(answered),
          String(unanswered),
          String(await restarts()),
        ],
      ],
    ),
  );
}

/** etcd, nginx, `rundock gateway` and an agent (the backend) announcing one service; what `restarts` runs on. */
async function cluster(
  leaseTtl: number,
): Promise<{ etcd: EtcdProcess; agentArgs: string[]; routePort: number; service: string }> {
  const etcd = await startEtcd();
  stoppers.push(() => etcd.kill());
  const nginx: NginxProcess = await startNginx(1);
  stoppers.push(() => nginx.stop());
  const service = name();
  const routePort = await freePort();
  const o = nginx.options;
  const gateway = await startGatewayProcess([
    ...['gateway', '--etcd', etcd.endpoint, '--domain', DOMAIN, '--hostname', 'front-1'],
    ...['--nginx-conf-dir', nginx.confDir, '--nginx', o.bin ?? '', '--nginx-prefix', o.prefix ?? ''],
    ...['--nginx-conf', o.conf ?? '', '--nginx-error-log', o.errorLog ?? '', '--nginx-pid-file', o.pidFile ?? ''],
    ...['--upstream', service, '--route', `${HOST_HEADER}=${service}`, '--route-listen', `127.0.0.1:${routePort}`],
    ...['--metrics-listen', `127.0.0.1:${await freePort()}`],
  ]);
  stoppers.push(gateway);
  const agentArgs = [
    ...['--etcd', etcd.endpoint, '--domain', DOMAIN, '--hostname', 'back-1', '--lease-ttl', String(leaseTtl)],
    ...['--state-dir', mkdtempSync(join(tmpdir(), 'rundock-bench-')), ...ADDRESSES],
  ];
  return { etcd, agentArgs, routePort, service };
}

async function restarts(count: number): Promise<void> {
  // A lease that outlives an agent's restart however slow the machine (a restart longer than the TTL loses it).
  const { agentArgs, routePort, service } = await cluster(30);
  let agent: AgentProcess = await startAgent(agentArgs);
  stoppers.push(() => agent.stop('SIGKILL').then(() => undefined));
  await enableWeb(service, httpdCmd(), HEALTH, agent.status);
  await waitFor(async () => (await through(routePort)) === 200, 30_000, 50, 'served through nginx');
  const took: number[] = [];
  // Long enough for every restart under load (an agent's start can take 10 s and more on a loaded machine).
  const wrk = runWrk(routePort, count * 15 + 10);
  await sleep(3000);
  for (let i = 1; i <= count; i++) {
    const t = Date.now();
    await agent.stop('SIGTERM');
    agent = await startAgent(agentArgs);
    took.push(Date.now() - t);
    progress(`restart ${i}/${count}: ${took.at(-1)} ms from SIGTERM to the new agent answering`);
    await sleep(1000);
  }
  const result = await wrk;
  console.log(`Agent restarts under load (${build}): wrk through nginx (rundock gateway, etcd) to the backend\n`);
  console.log(
    table(
      ['agent restarts', 'SIGTERM to new agent answering (median)', 'requests', 'non-2xx', 'socket errors'],
      [
        [
          String(count),
          `${median(took)} ms`,
          String(result.requests),
          String(result.non2xx),
          String(result.socketErrors),
        ],
      ],
    ),
  );
}

async function expire(runs: number): Promise<void> {
  const { etcd, agentArgs, service } = await cluster(5);
  const client = new Etcd3({ hosts: etcd.endpoint });
  stoppers.push(async () => client.close());
  const key = `/skydns/com/example/bench/s/${service}/back-1`;
  const rows: string[][] = [];
  for (let i = 1; i <= runs; i++) {
    const agent = await startAgent(agentArgs);
    if (i === 1) await enableWeb(service, httpdCmd(), HEALTH, agent.status);
    await waitFor(async () => (await client.get(key).string()) !== null, 30_000, 20, 'announced');
    await sleep(2000);
    const stopped = Date.now();
    await agent.stop('SIGTERM');
    await waitFor(async () => (await client.get(key).string()) === null, 20_000, 20, 'expired');
    const gone = Date.now() - stopped;
    progress(`expire ${i}/${runs}: records gone ${gone} ms after SIGTERM`);
    rows.push([String(i), '5 s', `${gone} ms`]);
  }
  console.log(`Agent stopped for longer than its lease TTL (${build})\n`);
  console.log(table(['run', 'lease TTL', 'SIGTERM to records gone from etcd'], rows));
}

function startGatewayProcess(args: readonly string[]): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: { ...process.env, RUNDOCK_CONFIG: '/dev/null' } });
    let logs = '';
    child.stderr?.on('data', (c: Buffer) => {
      logs += c.toString();
      if (logs.includes('gateway started')) resolve(async () => void child.kill('SIGKILL'));
    });
    child.once('exit', (code) => reject(new Error(`rundock gateway exited ${String(code)}: ${logs}`)));
  });
}

/** wrk for SECONDS (longer than the tests' bounded runWrk allows): 4 connections through nginx's route. */
function runWrk(port: number, seconds: number): Promise<WrkResult> {
  const url = `http://127.0.0.1:${port}/`;
  const args = ['-t1', '-c4', `-d${seconds}s`, '--timeout', '5s', '-H', `Host: ${HOST_HEADER}`, url];
  return new Promise((resolve, reject) =>
    execFile(WRK_BIN, args, { timeout: (seconds + 30) * 1000 }, (error, stdout) => {
      if (error) reject(new Error(`wrk failed: ${error.message}`));
      else resolve(parseWrk(stdout));
    }),
  );
}

await runBench(
  async () => {
    const [mode, count] = [process.argv[2], process.argv[3] === undefined ? undefined : Number(process.argv[3])];
    if (mode === 'crash') await crash(count ?? 5);
    else if (mode === 'loop') await loop(count ?? 120);
    else if (mode === 'restarts') await restarts(count ?? 20);
    else if (mode === 'expire') await expire(count ?? 5);
    else throw new Error('usage: agent-faults.ts crash [RUNS] | loop [SECONDS] | restarts [COUNT] | expire [RUNS]');
  },
  async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    await removeByPrefix(PREFIX);
  },
);
