/**
 * bench/scale: rundock at 10, 100 and 1,000 hosts of 20 services, simulated on one machine (issue 24).
 *
 * For each size, from scratch: a three-member etcd (loopback, temporary data), the real `rundock dns` and
 * `rundock gateway` (with a throwaway nginx it tests and reloads), and N simulated hosts, each the real agent over an
 * in-memory engine with S running containers, in a few worker processes. Then, in turn: cold start, steady state
 * (etcd's requests by type, its leader's CPU), propagation of 200 kills, 10 % of the hosts cut at once, memory.
 * Everything is stopped at the end, and a watchdog ends a run that overruns its budget.
 *
 * Usage: node --import tsx bench/scale/main.ts [--hosts 10,100,1000] [--services 20] [--steady SECONDS]
 *                                              [--kills N] [--lease-ttl SECONDS] [--routed K] [--quick] [--keep-logs]
 *   --steady     steady-state window per size (default 300); --quick: 30 s window and 20 kills
 *   --routed K   every K-th service has a route and the gateway runs with --only-routed (renders those alone);
 *                kills then hit routed services only
 *   --keep-logs  keep each size's logs (gateway, DNS, hosts) even when it succeeds
 * Needs /usr/bin/etcd, /usr/sbin/nginx and a build (npm run build). Markdown on stdout, progress on stderr;
 * logs of the gateway and the hosts in a temporary directory, kept (and named) when a size fails.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { UdpClient } from '../../test/integration/dns/client.js';
import { progress, runBench, sleep } from '../common.js';
import { coldStart } from './cold-start.js';
import type { Context } from './context.js';
import { Fleet } from './fleet.js';
import { REPLICAS, serviceCount, type Layout } from './layout.js';
import { massFailure } from './mass-failure.js';
import { nginxCost } from './nginx-cost.js';
import { FileWatch, ServingWatch } from './observers.js';
import { propagation } from './propagation.js';
import {
  coldStartTable,
  massFailureTable,
  memoryTable,
  propagationTable,
  steadyTable,
  type SizeResult,
} from './report.js';
import { steadyState } from './steady.js';
import { startSystem } from './system.js';

interface Args {
  hosts: number[];
  services: number;
  steadyS: number;
  kills: number;
  leaseTtl: number;
  routedEvery: number | undefined;
  keepLogs: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    ...{ hosts: [10, 100, 1000], services: 20, steadyS: 300, kills: 200, leaseTtl: 30 },
    ...{ routedEvery: undefined, keepLogs: false },
  };
  const number = (flag: string, value: string | undefined, min: number, max: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < min || n > max)
      throw new Error(`${flag} must be a whole number from ${min} to ${max}, not ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag = '', value] = [argv[i], argv[i + 1]];
    if (flag === '--quick') [args.steadyS, args.kills] = [30, 20];
    else if (flag === '--keep-logs') args.keepLogs = true;
    else if (flag === '--hosts') args.hosts = (value ?? '').split(',').map((v) => number(flag, v, 10, 2000));
    else if (flag === '--services') args.services = number(flag, value, 1, 100);
    else if (flag === '--steady') args.steadyS = number(flag, value, 10, 1800);
    else if (flag === '--kills') args.kills = number(flag, value, 1, 1000);
    else if (flag === '--lease-ttl') args.leaseTtl = number(flag, value, 5, 300);
    else if (flag === '--routed') args.routedEvery = number(flag, value, 1, 1000);
    else throw new Error(`unknown argument ${flag} (see the usage in bench/scale/main.ts)`);
    if (flag !== '--quick' && flag !== '--keep-logs') i++;
  }
  if (args.hosts.some((n) => n % REPLICAS !== 0)) throw new Error(`--hosts must be multiples of ${REPLICAS}`);
  return args;
}

/** A size's time budget: generous, so that only a hang ends it. */
function budgetMs(args: Args, layout: Layout): number {
  return 600_000 + layout.hosts * 600 + args.steadyS * 1000 + args.kills * 20_000 + args.leaseTtl * 2000;
}

let cleanup: (() => Promise<void>) | undefined;

async function runSize(args: Args, layout: Layout): Promise<SizeResult> {
  const dir = await mkdtemp(join(tmpdir(), 'rundock-scale-'));
  progress(`${layout.hosts} hosts x ${layout.servicesPerHost}: servers starting (logs in ${dir})`);
  const system = await startSystem(dir, layout);
  const etcd = new Etcd3({ hosts: system.etcd.endpoints });
  const file = new FileWatch(system.gateway.file);
  const serving = new ServingWatch(etcd, system.gateway.hostname);
  const dns = new UdpClient(system.dns.port);
  const started: { fleet?: Fleet } = {};
  let failed = true;
  cleanup = async () => {
    await started.fleet?.stop();
    file.stop();
    await serving.stop().catch(() => undefined);
    dns.close();
    etcd.close();
    await writeFile(join(dir, 'dns.log'), system.dns.logs());
    await system.stop();
    if (failed || args.keepLogs) progress(`logs kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  };
  const fleet = (started.fleet = await Fleet.create(layout, join(dir, 'hosts.log')));
  file.start();
  await serving.start();
  const result = await measure({ layout, leaseTtl: args.leaseTtl, system, fleet, file, serving, dns, etcd }, args);
  failed = false;
  await cleanup();
  cleanup = undefined;
  return result;
}

async function measure(ctx: Context, args: Args): Promise<SizeResult> {
  progress('cold start');
  const cold = await coldStart(ctx);
  progress(`cold start: DNS ${(cold.dns / 1000).toFixed(1)} s, nginx ${(cold.served / 1000).toFixed(1)} s; settling`);
  await sleep(15_000);
  progress(`steady state: ${args.steadyS} s`);
  const steady = await steadyState(ctx, args.steadyS * 1000);
  const nginx = await nginxCost(ctx);
  progress(`propagation: ${args.kills} kills`);
  const prop = await propagation(ctx, args.kills, (done) => done % 20 === 0 && progress(`${done} kills`));
  progress('mass failure: 10 % of the hosts cut');
  const mass = await massFailure(ctx);
  return { layout: ctx.layout, services: serviceCount(ctx.layout), cold, steady, nginx, propagation: prop, mass };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date().toISOString();
  const load = loadavg()[0]?.toFixed(2);
  const results: SizeResult[] = [];
  for (const hosts of args.hosts) {
    const layout: Layout = { hosts, servicesPerHost: args.services, routedEvery: args.routedEvery };
    const watchdog = setTimeout(
      () => {
        progress(`${hosts} hosts: over the time budget; stopping`);
        void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(1));
      },
      budgetMs(args, layout),
    );
    results.push(await runSize(args, layout));
    clearTimeout(watchdog);
    progress(`${hosts} hosts done:\n${tables(results)}`);
  }
  console.log(
    `Run of ${started} (load average ${load} at the start; steady window ${args.steadyS} s, ${args.kills} kills, lease TTL ${args.leaseTtl} s):\n`,
  );
  console.log(tables(results));
}

function tables(results: readonly SizeResult[]): string {
  return [coldStartTable, steadyTable, propagationTable, massFailureTable, memoryTable]
    .map((t) => t(results))
    .join('\n\n');
}

await runBench(main, async () => {
  await cleanup?.();
});
