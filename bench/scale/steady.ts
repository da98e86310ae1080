/**
 * Steady state: nothing changes for the window; what etcd still receives and does (from its members' /metrics) and
 * what each process spends. The bench's own etcd client sends nothing meanwhile (its one watch, on the gateway's
 * report key, stays silent while nothing changes).
 */
import { sleep } from '../common.js';
import type { Context } from './context.js';
import { etcdRates, sampleEtcd, sampleProcess, type EtcdRates, type ProcSample } from './samples.js';

export interface SteadyState {
  etcd: EtcdRates;
  /** Share of one core over the window. */
  cpu: { dns: number; gateway: number; oneAgent: number; allAgents: number };
  /** At the end of the window. */
  memory: { dns: ProcSample; gateway: ProcSample; oneAgent: ProcSample; agentWorkers: ProcSample[] };
  /** etcd's gauges at the end: watchers, keys, the leader's resident memory (bytes). */
  watchers: number;
  keys: number;
  leaderRssBytes: number;
}

export async function steadyState(ctx: Context, windowMs: number): Promise<SteadyState> {
  const { single, others } = ctx.fleet.pids();
  const pids = [ctx.system.dns.pid, ctx.system.gateway.pid, single, ...others];
  const [before, procsBefore] = await Promise.all([sampleEtcd(ctx.system.etcd.endpoints), sampleAll(pids)]);
  await sleep(windowMs);
  const [after, procsAfter] = await Promise.all([sampleEtcd(ctx.system.etcd.endpoints), sampleAll(pids)]);
  const seconds = (after.at - before.at) / 1000;
  const cpu = (i: number): number => ((procsAfter[i]?.cpuSeconds ?? 0) - (procsBefore[i]?.cpuSeconds ?? 0)) / seconds;
  const all = pids.slice(2).reduce((n, _, i) => n + cpu(i + 2), 0);
  const [dns, gateway, oneAgent, ...agentWorkers] = procsAfter as [ProcSample, ProcSample, ProcSample, ...ProcSample[]];
  return {
    etcd: etcdRates(before, after),
    cpu: { dns: cpu(0), gateway: cpu(1), oneAgent: cpu(2), allAgents: all },
    memory: { dns, gateway, oneAgent, agentWorkers },
    watchers: after.watchers,
    keys: after.keys,
    leaderRssBytes: after.leaderRssBytes,
  };
}

function sampleAll(pids: readonly number[]): Promise<ProcSample[]> {
  return Promise.all(pids.map((pid) => sampleProcess(pid)));
}
