/**
 * etcd requests per minute sent by one `rundock agent` at steady state, with 1, 10 and 50 announced services,
 * counted by etcd itself (its Prometheus metrics at <endpoint>/metrics): gRPC messages received, by method.
 * Keep-alives are messages on one LeaseKeepAlive stream, so messages (grpc_server_msg_received_total) are counted,
 * not calls; grpc_server_started_total shows whether any new call or stream was opened.
 *
 * Usage: node --import tsx bench/agent-etcd-requests.ts [--window SECONDS] [--services 1,10,50]
 *   --window    length of each measured window (default 60; 20 for a quick run)
 *   --services  announced-service counts measured in turn, increasing (default 1,10,50); one agent, services added
 * Needs dockerd, the test image (bash scripts/test-env.sh up), /usr/bin/etcd and a build (npm run build).
 * Prints Markdown tables on stdout; progress on stderr. Removes its containers (bench-rq-*), etcd and the agent.
 */
import { Etcd3 } from 'etcd3';
import { domainPrefix } from '../src/registry/path.js';
import { startAgent, waitFor, type AgentProcess } from '../test/integration/agent-process.js';
import { ADDRESSES, freePort, httpdCmd, IMAGE, rundockJson } from '../test/integration/harness.js';
import { startEtcd, type EtcdProcess } from '../test/integration/registry/etcd-process.js';
import { nowMs, progress, removeByPrefix, runBench, sleep, table } from './common.js';
import { delta, grpcKey, readCounters, type Counters } from '../test/support/prometheus.js';

const PREFIX = 'bench-rq-';
const DOMAIN = 's.bench.example.com';
const HOST = 'bench-1';
const SETTLE_MS = 5_000;
const ENABLE_CONCURRENCY = 4;
/** Agent-run probe: announced once it passes; no Docker health-check execs loading the machine at 50 services. */
const PROBE = ['--probe', 'http:/', '--probe-interval', '2s'];

interface Args {
  windowS: number;
  counts: number[];
}

function parseArgs(argv: readonly string[]): Args {
  let windowS = 60;
  let counts = [1, 10, 50];
  for (let i = 0; i < argv.length; i++) {
    const [arg, value] = [argv[i], argv[i + 1]];
    if (arg === '--window' && value !== undefined && /^\d+$/.test(value)) {
      windowS = Number(value);
      i++;
    } else if (arg === '--services' && value !== undefined && /^\d+(,\d+)*$/.test(value)) {
      counts = value.split(',').map(Number);
      i++;
    } else
      throw new Error(`bad argument ${arg}; usage: agent-etcd-requests.ts [--window SECONDS] [--services 1,10,50]`);
  }
  if (windowS < 5 || windowS > 600) throw new Error('--window must be 5..600 seconds');
  if (counts.some((n, i) => n < 1 || n > 100 || n <= (counts[i - 1] ?? 0)))
    throw new Error('--services must increase, each 1..100');
  return { windowS, counts };
}

interface Sample {
  at: number;
  /** etcd: gRPC messages received, by `Service/Method`. */
  received: Counters;
  /** etcd: gRPC calls and streams started, by `Service/Method`. */
  started: Counters;
  /** the agent's own counters. */
  agent: Counters;
}

async function sample(etcdEndpoint: string, agentStatus: string): Promise<Sample> {
  const [etcdText, agentText] = await Promise.all([
    fetch(`${etcdEndpoint}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text()),
    fetch(`http://${agentStatus}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text()),
  ]);
  const agent: Counters = new Map();
  const agentMetrics: [string, string, (labels: Map<string, string>) => boolean][] = [
    ['registry syncs (ok)', 'rundock_agent_registry_syncs_total', (l) => l.get('outcome') === 'ok'],
    ['registry syncs (error)', 'rundock_agent_registry_syncs_total', (l) => l.get('outcome') === 'error'],
    ['full resyncs against Docker', 'rundock_agent_resyncs_total', () => true],
    ['Docker events handled', 'rundock_agent_docker_events_total', () => true],
    ['probe runs', 'rundock_agent_probe_results_total', () => true],
    ['leases replaced', 'rundock_agent_lease_replaced_total', () => true],
  ];
  for (const [label, metric, keep] of agentMetrics) {
    const counted = readCounters(agentText, metric, (l) => (keep(l) ? 'y' : 'n'));
    agent.set(label, counted.get('y') ?? 0);
  }
  return {
    at: nowMs(),
    received: readCounters(etcdText, 'grpc_server_msg_received_total', grpcKey),
    started: readCounters(etcdText, 'grpc_server_started_total', grpcKey),
    agent,
  };
}

interface Measured {
  services: number;
  windowMs: number;
  received: Counters;
  started: Counters;
  agent: Counters;
  records: number;
}

/** Runs up to `limit` of `tasks` at a time. */
async function pool(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  const queue = [...tasks];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let task = queue.shift(); task; task = queue.shift()) await task();
    }),
  );
}

async function enableService(index: number): Promise<void> {
  const name = `${PREFIX}${String(index).padStart(2, '0')}`;
  const port = await freePort();
  const result = await rundockJson([
    'enable',
    name,
    '--image',
    IMAGE,
    '--cmd',
    httpdCmd(),
    '--announce',
    String(port),
    '--port',
    '8080',
    ...PROBE,
    ...ADDRESSES,
  ]);
  if (result.code !== 0) throw new Error(`enable ${name} failed (${result.code}): ${result.stdout}`);
}

/** Service records in etcd, counted with a client opened and closed here, so it sends nothing during a window. */
async function recordsInEtcd(endpoint: string): Promise<number> {
  const client = new Etcd3({ hosts: endpoint });
  try {
    return (await client.getAll().prefix(domainPrefix(DOMAIN)).keys()).length;
  } finally {
    client.close();
  }
}

async function announcedByAgent(agentStatus: string): Promise<number> {
  const status = (await (
    await fetch(`http://${agentStatus}/status`, { signal: AbortSignal.timeout(5000) })
  ).json()) as { services: { announced: boolean }[] };
  return status.services.filter((s) => s.announced).length;
}

let etcd: EtcdProcess | undefined;
let agent: AgentProcess | undefined;

await runBench(
  async () => {
    const args = parseArgs(process.argv.slice(2));
    etcd = await startEtcd();
    const endpoint = etcd.endpoint;
    const running = await startAgent([
      '--etcd',
      endpoint,
      '--domain',
      DOMAIN,
      '--hostname',
      HOST,
      '--private-ip',
      '127.0.0.1',
      '--public-ip',
      '127.0.0.1',
    ]);
    agent = running;
    const results: Measured[] = [];
    let enabled = 0;
    for (const target of args.counts) {
      progress(`enabling services ${enabled + 1}..${target}`);
      const tasks = Array.from({ length: target - enabled }, (_, i) => () => enableService(enabled + i + 1));
      await pool(tasks, ENABLE_CONCURRENCY);
      enabled = target;
      await waitFor(
        async () => (await announcedByAgent(running.status)) === target && (await recordsInEtcd(endpoint)) === target,
        180_000,
        500,
      );
      progress(`${target} services announced; settling ${SETTLE_MS / 1000} s, then measuring ${args.windowS} s`);
      await sleep(SETTLE_MS);
      const before = await sample(endpoint, running.status);
      await sleep(args.windowS * 1000);
      const after = await sample(endpoint, running.status);
      // Counted after the window, so this check's own requests fall outside it.
      const records = await recordsInEtcd(endpoint);
      results.push({
        services: target,
        windowMs: after.at - before.at,
        received: delta(before.received, after.received),
        started: delta(before.started, after.started),
        agent: delta(before.agent, after.agent),
        records,
      });
    }

    const perMinute = (n: number, windowMs: number): string => ((n * 60_000) / windowMs).toFixed(1);
    const methods = [
      ...new Set(results.flatMap((r) => [...r.received].filter(([, n]) => n > 0).map(([m]) => m))),
    ].sort();
    if (!methods.includes('Lease/LeaseKeepAlive')) methods.push('Lease/LeaseKeepAlive');
    const header = [
      'etcd gRPC messages received / min',
      ...results.map((r) => `${r.services} service${r.services === 1 ? '' : 's'}`),
    ];
    const sum = (c: Counters): number => [...c.values()].reduce((a, b) => a + b, 0);
    console.log(
      table(header, [
        ...methods.map((m) => [
          m === 'Lease/LeaseKeepAlive' ? `${m} (stream messages)` : m,
          ...results.map((r) => perMinute(r.received.get(m) ?? 0, r.windowMs)),
        ]),
        ['**total**', ...results.map((r) => `**${perMinute(sum(r.received), r.windowMs)}**`)],
        ['new calls or streams started / min', ...results.map((r) => perMinute(sum(r.started), r.windowMs))],
        [
          'raw count in the window (messages)',
          ...results.map((r) => `${sum(r.received)} in ${(r.windowMs / 1000).toFixed(1)} s`),
        ],
        ['service records in etcd', ...results.map((r) => String(r.records))],
      ]),
    );
    console.log('');
    const agentRows = [...(results[0]?.agent.keys() ?? [])];
    console.log(
      table(
        ['agent counters in the window (count)', ...results.map((r) => `${r.services}`)],
        agentRows.map((label) => [label, ...results.map((r) => String(r.agent.get(label) ?? 0))]),
      ),
    );
  },
  async () => {
    await agent?.stop('SIGTERM');
    await etcd?.kill();
    const removed = await removeByPrefix(PREFIX);
    if (removed > 0) progress(`removed ${removed} ${PREFIX}* containers`);
  },
);
