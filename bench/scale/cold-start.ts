/**
 * Cold start: every simulated host starts its agent at once (all containers already running and healthy, as after
 * a power cut), and the clock runs until the last record is in etcd, in `rundock dns`'s zone (and answered), in the
 * gateway's file, and served by nginx (the gateway's report after the reload).
 */
import { domainPrefix } from '../../src/registry/path.js';
import { orFalse, waitFor } from '../../test/support/wait.js';
import { dnsRecords, instanceTotal, renderedTotal, type Context } from './context.js';
import { DOMAIN, instanceName, instancesOf } from './layout.js';
import { now, reportedServers, serverCount } from './observers.js';
import { sampleEtcd, sampleProcess } from './samples.js';

/** Milliseconds from the start command to each point. */
export interface ColdStart {
  /** Every agent's records written (as its registry reports it). */
  agents: number;
  /** Every record in etcd. */
  etcd: number;
  /** Every record in `rundock dns`'s zone; the last host's last record answered. */
  dns: number;
  /** Every instance a server in the gateway's file. */
  file: number;
  /** nginx reloaded with all of them (the gateway's report). */
  served: number;
  /** CPU seconds spent meanwhile: etcd (three members), the agents' processes, `rundock dns`, the gateway. */
  cpu: { etcd: number; agents: number; dns: number; gateway: number };
}

export async function coldStart(ctx: Context): Promise<ColdStart> {
  const total = instanceTotal(ctx);
  const timeoutMs = 60_000 + ctx.layout.hosts * 300;
  const cpuBefore = await cpuNow(ctx);
  const started = now();
  const agents = ctx.fleet.start(ctx.layout, ctx.system.etcd.endpoints, ctx.leaseTtl).then(() => now());
  const etcd = pollUntil(
    async () => Number((await ctx.etcd.getAll().prefix(domainPrefix(DOMAIN)).count()) ?? 0) === total,
    timeoutMs,
    'every record in etcd',
  );
  const dns = pollUntil(async () => (await dnsRecords(ctx)) === total, timeoutMs, 'every record in DNS');
  const rendered = renderedTotal(ctx);
  const file = ctx.file.until((text) => serverCount(text) === rendered, timeoutMs, 'every server in the file');
  const served = ctx.serving.until((r) => reportedServers(r) === rendered, timeoutMs, 'every server served');
  const at = await Promise.all([agents, etcd, dns, file, served]);
  const last = instancesOf(ctx.layout, ctx.layout.hosts - 1).at(-1);
  if (last !== undefined) {
    const reply = await ctx.dns.query(instanceName(last), 'A');
    if (reply?.answers.length !== 1) throw new Error(`${instanceName(last)} not answered after the cold start`);
  }
  const cpuAfter = await cpuNow(ctx);
  const [a = 0, e = 0, d = 0, f = 0, s = 0] = at.map((t) => t - started);
  const cpu = {
    etcd: cpuAfter.etcd - cpuBefore.etcd,
    agents: cpuAfter.agents - cpuBefore.agents,
    dns: cpuAfter.dns - cpuBefore.dns,
    gateway: cpuAfter.gateway - cpuBefore.gateway,
  };
  return { agents: a, etcd: e, dns: d, file: f, served: s, cpu };
}

/** CPU seconds so far of etcd's members, the agents' worker processes, `rundock dns` and the gateway. */
async function cpuNow(ctx: Context): Promise<ColdStart['cpu']> {
  const { single, others } = ctx.fleet.pids();
  const [etcd, dns, gateway, ...agents] = await Promise.all([
    sampleEtcd(ctx.system.etcd.endpoints).then((e) => e.cpuSeconds),
    ...[ctx.system.dns.pid, ctx.system.gateway.pid, single, ...others].map(
      async (pid) => (await sampleProcess(pid)).cpuSeconds,
    ),
  ]);
  return { etcd: etcd ?? 0, dns: dns ?? 0, gateway: gateway ?? 0, agents: agents.reduce((n, c) => n + c, 0) };
}

/** When `check` first holds, polled every 100 ms (ms since the epoch). */
async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  await waitFor(orFalse(check), timeoutMs, 100, what);
  return now();
}
