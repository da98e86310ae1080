/** bench/scale's results as Markdown tables, one column per size. */
import { percentile, table } from '../common.js';
import type { ColdStart } from './cold-start.js';
import type { Layout } from './layout.js';
import type { MassFailure } from './mass-failure.js';
import type { NginxCost } from './nginx-cost.js';
import type { Propagation } from './propagation.js';
import type { SteadyState } from './steady.js';

export interface SizeResult {
  layout: Layout;
  services: number;
  cold: ColdStart;
  steady: SteadyState;
  nginx: NginxCost;
  propagation: Propagation;
  mass: MassFailure;
}

const ms = (v: number): string => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms` : '-');
const s = (v: number): string => `${(v / 1000).toFixed(1)} s`;
const rate = (v: number): string => (v === 0 ? '0' : v < 0.1 ? v.toFixed(3) : v.toFixed(1));
const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

function header(results: readonly SizeResult[], first: string): string[] {
  const routed = (l: Layout): string => (l.routedEvery === undefined ? '' : `, 1 in ${l.routedEvery} routed`);
  return [first, ...results.map((r) => `${r.layout.hosts} x ${r.layout.servicesPerHost}${routed(r.layout)}`)];
}

/** "p50 / p99 / worst (misses)" of a list of ms where NaN is a miss. */
function spread(values: readonly number[]): string {
  const seen = values.filter((v) => Number.isFinite(v));
  const missed = values.length - seen.length;
  if (seen.length === 0) return `all ${missed} missed`;
  const text = `${ms(percentile(seen, 50))} / ${ms(percentile(seen, 99))} / ${ms(Math.max(...seen))}`;
  return missed === 0 ? text : `${text} (${missed} missed)`;
}

export function coldStartTable(results: readonly SizeResult[]): string {
  const row = (label: string, pick: (c: ColdStart) => number): string[] => [
    label,
    ...results.map((r) => s(pick(r.cold))),
  ];
  return table(header(results, 'cold start: from the start of every agent to'), [
    [
      'records (services in the domain)',
      ...results.map((r) => `${r.layout.hosts * r.layout.servicesPerHost} (${r.services})`),
    ],
    row("every agent's records written (as it reports)", (c) => c.agents),
    row('the last record in etcd', (c) => c.etcd),
    row('the last record in DNS', (c) => c.dns),
    row("the last server in the gateway's file", (c) => c.file),
    row('nginx serving all of them', (c) => c.served),
    [
      'CPU meanwhile: etcd (3 members) / agents / dns / gateway',
      ...results.map(({ cold: { cpu } }) =>
        [cpu.etcd, cpu.agents, cpu.dns, cpu.gateway].map((v) => `${v.toFixed(1)} s`).join(' / '),
      ),
    ],
  ]);
}

export function steadyTable(results: readonly SizeResult[]): string {
  const methods = [
    ...new Set(results.flatMap((r) => [...r.steady.etcd.received].filter(([, v]) => v > 0).map(([m]) => m))),
  ].sort();
  const received = methods.map((m) => [
    `gRPC ${m} (messages/s)`,
    ...results.map((r) => rate(r.steady.etcd.received.get(m) ?? 0)),
  ]);
  const store = ['range', 'put', 'txn', 'delete'].map((op) => [
    `store ${op}s/s`,
    ...results.map((r) => rate(r.steady.etcd.store.get(op) ?? 0)),
  ]);
  const per = (label: string, pick: (st: SteadyState) => string): string[] => [
    label,
    ...results.map((r) => pick(r.steady)),
  ];
  return table(header(results, 'steady state (etcd, all members)'), [
    per('window', (st) => `${st.etcd.seconds.toFixed(0)} s`),
    ...received,
    ...store,
    per('watch events sent/s', (st) => rate(st.etcd.watchEvents)),
    per('bytes sent to clients/s', (st) => `${(st.etcd.sentBytes / 1024).toFixed(1)} KiB`),
    per('lease renewals/s (leader)', (st) => rate(st.etcd.renewals)),
    per(
      'CPU (one core): leader / all three members',
      (st) => `${pct(st.etcd.leaderCpu)} / ${pct(st.etcd.cpu)}${st.etcd.leaderChanged ? ' (leader changed)' : ''}`,
    ),
    per('watchers / keys', (st) => `${st.watchers} / ${st.keys}`),
    per('CPU: rundock dns / gateway', (st) => `${pct(st.cpu.dns)} / ${pct(st.cpu.gateway)}`),
    per('CPU: one agent / all agents', (st) => `${pct(st.cpu.oneAgent)} / ${pct(st.cpu.allAgents)}`),
  ]);
}

export function propagationTable(results: readonly SizeResult[]): string {
  const per = (label: string, pick: (p: Propagation) => string): string[] => [
    label,
    ...results.map((r) => pick(r.propagation)),
  ];
  const median = (values: (number | undefined)[]): string => {
    const seen = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    return seen.length === 0 ? '-' : ms(percentile(seen, 50));
  };
  return table(header(results, 'kill -> gone (p50 / p99 / worst)'), [
    per('kills', (p) => String(p.dns.length)),
    per('record deleted in etcd (the agent and etcd)', (p) => spread(p.deleted)),
    per('NXDOMAIN from rundock dns', (p) => spread(p.dns)),
    per("server gone from the gateway's file", (p) => spread(p.file)),
    per('nginx serving without it (report)', (p) => spread(p.served)),
    per('gateway reloads in the phase', (p) => String(p.reloads.length)),
    per('gateway per reload: render / nginx -t / reload (median)', (p) =>
      [p.reloads.map((r) => r.renderMs), p.reloads.map((r) => r.testMs), p.reloads.map((r) => r.reloadMs)]
        .map(median)
        .join(' / '),
    ),
    per(
      'etcd per registry change: bytes put / database growth',
      (p) => `${kib(p.etcd.putBytes / p.changes)} / ${kib(p.etcd.dbGrowth / p.changes)}`,
    ),
    per(
      'CPU per registry change: dns / gateway',
      (p) => `${ms((p.cpu.dns * 1000) / p.changes)} / ${ms((p.cpu.gateway * 1000) / p.changes)}`,
    ),
  ]);
}

export function massFailureTable(results: readonly SizeResult[]): string {
  const per = (label: string, pick: (m: MassFailure) => string): string[] => [
    label,
    ...results.map((r) => pick(r.mass)),
  ];
  return table(header(results, '10 % of the hosts cut at once'), [
    per('hosts cut / their records', (m) => `${m.hosts} / ${m.records}`),
    per('bound (lease TTL + 1 s)', (m) => s(m.limitMs)),
    per('last record deleted in etcd', (m) => s(m.etcd)),
    per('last record gone from DNS', (m) => s(m.dns)),
    per("last server gone from the gateway's file", (m) => s(m.file)),
    per('nginx serving without them', (m) => s(m.served)),
    per("other hosts' keys touched", (m) => String(m.othersTouched.length)),
    per(
      'DNS queries for live names: answered / sent (wrong, unanswered)',
      (m) => `${m.queries.answered} / ${m.queries.sent} (${m.queries.wrong}, ${m.queries.unanswered})`,
    ),
  ]);
}

export function memoryTable(results: readonly SizeResult[]): string {
  const per = (label: string, pick: (r: SizeResult) => string): string[] => [label, ...results.map(pick)];
  const largest = (r: SizeResult): string => {
    const [first] = r.steady.memory.agentWorkers;
    const hosts = Math.min(250, r.layout.hosts - 1);
    return first === undefined ? '-' : `${mib(first.rssKiB)} for ${hosts}`;
  };
  return table(header(results, 'memory (resident, end of the steady state; peak)'), [
    per('rundock dns', (r) => `${mib(r.steady.memory.dns.rssKiB)} (${mib(r.steady.memory.dns.peakKiB)})`),
    per('rundock gateway', (r) => `${mib(r.steady.memory.gateway.rssKiB)} (${mib(r.steady.memory.gateway.peakKiB)})`),
    per('one agent (a process of its own)', (r) => mib(r.steady.memory.oneAgent.rssKiB)),
    per('a worker process of many agents', largest),
    per('etcd leader', (r) => mib(r.steady.leaderRssBytes / 1024)),
    per('nginx (master + 2 workers)', (r) => mib(r.nginx.rssKiB)),
    per("gateway's file", (r) => `${(r.nginx.fileBytes / 1024).toFixed(0)} KiB`),
    per('nginx -t (median of 5)', (r) => ms(r.nginx.testMs)),
  ]);
}
