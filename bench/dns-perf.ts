/**
 * Helpers of bench/dns-perf.sh (run with `node --import tsx bench/dns-perf.ts COMMAND ...`):
 *
 *   files COUNT DOMAIN DIR          svcNNNN.DOMAIN, one A record each: DIR/hosts (dnsmasq --addn-hosts),
 *                                   DIR/zone (Knot's zone file: the same records, TTL 30, the SOA rundock serves),
 *                                   DIR/queries.txt (dnsperf input, every name once, shuffled with a fixed seed)
 *   load ENDPOINT COUNT DOMAIN      the same names as SkyDNS records in etcd, in transactions of 128 puts
 *   unload ENDPOINT DOMAIN          deletes every record of DOMAIN
 *   latency FILE                    dnsperf -v output -> JSON {count, lost, avg, p50, p99, p999, max} in ms
 *   change ENDPOINT DOMAIN PORT RUNS  RUNS times: etcd put of a new name -> first answer of it; JSON of the times
 *   rss PID                         VmRSS of PID and its descendants, KiB, with the per-process values
 *   cpu PID                         CPU time (user + system) of PID and its descendants so far, ms
 *   profile FILE.cpuprofile [N] [S]  the N functions with the most self time in a `node --cpu-prof` profile, in its
 *                                   last S seconds if given (a steady run after start-up), as shares of busy time
 *
 * Loopback only; every loop is bounded.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Etcd3 } from 'etcd3';
import { domainPrefix } from '../src/registry/path.js';
import { addressesOf, UdpClient } from '../test/integration/dns/client.js';
import { processTree, rssOf } from '../test/integration/dns/dns-process.js';

/** Transactions of this many puts: etcd's default --max-txn-ops. */
const TXN_OPS = 128;
/** Transactions in flight while loading. */
const PARALLEL = 8;
/** Answers in a row that must agree before a change counts as visible (each worker process has its own view). */
const CONSECUTIVE = 4;

/** The i-th name's label: svc0000 ... (at least 4 digits, more for larger counts). */
export function serviceName(i: number, count: number): string {
  return `svc${String(i).padStart(Math.max(4, String(count - 1).length), '0')}`;
}

/** The i-th name's address: 10.x.y.z, unique for i < 2^24 - 1. */
export function serviceAddress(i: number): string {
  const n = i + 1;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

async function files(count: number, domain: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const hosts: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${serviceName(i, count)}.${domain}`;
    hosts.push(`${serviceAddress(i)} ${name}`);
    names.push(name);
  }
  // Fisher-Yates with a fixed LCG: the same query order on every run, no name favoured.
  let state = 12345;
  for (let i = names.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [names[i], names[j]] = [names[j] as string, names[i] as string];
  }
  await writeFile(`${dir}/hosts`, `${hosts.join('\n')}\n`, { mode: 0o644 });
  await writeFile(`${dir}/zone`, zoneFile(domain, count), { mode: 0o644 });
  await writeFile(`${dir}/queries.txt`, `${names.map((n) => `${n} A`).join('\n')}\n`, { mode: 0o644 });
}

/** A zone file of the same names for Knot: TTL 30 as the records say, the SOA rundock answers with. */
function zoneFile(domain: string, count: number): string {
  const lines = [
    `$ORIGIN ${domain}.`,
    '$TTL 30',
    '@ SOA ns.dns hostmaster 1 7200 1800 86400 30',
    '@ NS ns.dns',
    'ns.dns A 127.0.0.1',
  ];
  for (let i = 0; i < count; i++) lines.push(`${serviceName(i, count)} A ${serviceAddress(i)}`);
  return `${lines.join('\n')}\n`;
}

async function load(endpoint: string, count: number, domain: string): Promise<void> {
  const client = new Etcd3({ hosts: endpoint });
  const prefix = domainPrefix(domain);
  const started = performance.now();
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const start = next;
        next = Math.min(count, next + TXN_OPS);
        const ops = [];
        for (let i = start; i < next; i++)
          ops.push(
            client
              .put(`${prefix}${serviceName(i, count)}/h1`)
              .value(JSON.stringify({ host: serviceAddress(i), port: 8080, ttl: 30 })),
          );
        await client
          .if(`${prefix}${serviceName(start, count)}/h1`, 'Version', '>', -1)
          .then(...ops)
          .commit();
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    const loaded = await client.getAll().prefix(prefix).count();
    if (loaded < count) throw new Error(`only ${loaded} of ${count} records under ${prefix}`);
    console.log(
      JSON.stringify({ records: loaded, seconds: Number(((performance.now() - started) / 1000).toFixed(2)) }),
    );
  } finally {
    client.close();
  }
}

async function unload(endpoint: string, domain: string): Promise<void> {
  const client = new Etcd3({ hosts: endpoint });
  try {
    const deleted = await client.delete().prefix(domainPrefix(domain)).exec();
    console.log(JSON.stringify({ deleted: Number(deleted.deleted) }));
  } finally {
    client.close();
  }
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? Number.NaN;
}

/**
 * Latencies from `dnsperf -v` (`> NOERROR name A 0.000123`, seconds, one line per answered query; `> T name A` for
 * a query that timed out). Lost queries (those lines, or the Statistics block's count, whichever is larger) count
 * as slower than any answer, so a percentile never improves by losing queries.
 */
async function latency(file: string): Promise<void> {
  const values: number[] = [];
  let lost = 0;
  let timedOut = 0;
  const rcodes: Record<string, number> = {};
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.startsWith('> ')) {
      const fields = line.split(' ');
      const seconds = Number(fields.at(-1));
      const rcode = fields[1] ?? '?';
      rcodes[rcode] = (rcodes[rcode] ?? 0) + 1;
      if (rcode === 'T') timedOut++;
      else if (Number.isFinite(seconds)) values.push(seconds * 1000);
      continue;
    }
    const lostLine = /^\s*Queries lost:\s+(\d+)/.exec(line);
    if (lostLine?.[1] !== undefined) lost = Number(lostLine[1]);
  }
  lost = Math.max(lost, timedOut);
  const sorted = Float64Array.from(values).sort();
  const all = new Float64Array(sorted.length + lost);
  all.set(sorted);
  all.fill(Number.POSITIVE_INFINITY, sorted.length);
  const sum = values.reduce((a, b) => a + b, 0);
  const round = (v: number): number | string => (Number.isFinite(v) ? Number(v.toFixed(3)) : 'lost');
  console.log(
    JSON.stringify({
      answered: sorted.length,
      lost,
      rcodes,
      avg_ms: round(sum / Math.max(1, sorted.length)),
      p50_ms: round(percentile(all, 50)),
      p99_ms: round(percentile(all, 99)),
      p999_ms: round(percentile(all, 99.9)),
      max_ms: round(sorted.at(-1) ?? Number.NaN),
    }),
  );
}

async function change(endpoint: string, domain: string, port: number, runs: number): Promise<void> {
  const client = new Etcd3({ hosts: endpoint });
  const udp = new UdpClient(port);
  const prefix = domainPrefix(domain);
  const times: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const label = `chg${Date.now().toString(36)}${run}`;
      const address = `192.0.2.${(run % 250) + 1}`;
      const started = performance.now();
      await client.put(`${prefix}${label}/h1`).value(JSON.stringify({ host: address, ttl: 30 }));
      let firstSeen: number | undefined;
      let streak = 0;
      for (let i = 0; i < 20_000 && performance.now() - started < 5000; i++) {
        const reply = await udp.query(`${label}.${domain}`, 'A', { waitMs: 500 });
        if (reply !== undefined && addressesOf(reply).includes(address)) {
          firstSeen ??= performance.now() - started;
          if (++streak >= CONSECUTIVE) break;
        } else {
          firstSeen = undefined;
          streak = 0;
        }
      }
      if (firstSeen === undefined || streak < CONSECUTIVE) throw new Error(`${label}.${domain} not visible within 5 s`);
      times.push(firstSeen);
      await client.delete().key(`${prefix}${label}/h1`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    udp.close();
    client.close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 0 ? ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2 : (sorted[mid] ?? 0);
  console.log(
    JSON.stringify({
      runs,
      median_ms: Number(median.toFixed(1)),
      max_ms: Number((sorted.at(-1) ?? 0).toFixed(1)),
      min_ms: Number((sorted[0] ?? 0).toFixed(1)),
      times_ms: times.map((t) => Number(t.toFixed(1))),
    }),
  );
}

async function rss(pid: number): Promise<void> {
  const pids = await processTree(pid);
  const each = await Promise.all(
    pids.map(async (p) => ({
      pid: p,
      kib: await rssOf(p),
      cmd: (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0').slice(0, 3).join(' '),
    })),
  );
  console.log(JSON.stringify({ total_kib: each.reduce((sum, p) => sum + p.kib, 0), processes: each }));
}

async function cpu(pid: number): Promise<void> {
  let ticks = 0;
  for (const p of await processTree(pid)) {
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name: state is the 1st, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  // USER_HZ is 100 on Linux (sysconf(_SC_CLK_TCK)); /proc reports in those ticks.
  console.log(JSON.stringify({ cpu_ms: ticks * 10 }));
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

async function profile(file: string, top: number, lastSeconds: number): Promise<void> {
  const data = JSON.parse(await readFile(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    endTime: number;
    startTime: number;
  };
  const names = new Map<number, string>();
  for (const node of data.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules\/|src\/|dist\/)/, '$1')}:${lineNumber + 1}`;
    names.set(node.id, `${functionName === '' ? '(anonymous)' : functionName}${where}`);
  }
  // Sample i was taken at startTime + the sum of timeDeltas up to i (µs); only the last `lastSeconds` count.
  const from = lastSeconds > 0 ? data.endTime - lastSeconds * 1e6 : Number.NEGATIVE_INFINITY;
  const self = new Map<string, number>();
  let at = data.startTime;
  let busy = 0;
  let idle = 0;
  data.samples.forEach((id, i) => {
    at += data.timeDeltas[i] ?? 0;
    if (at < from) return;
    const name = names.get(id) ?? '?';
    if (name === '(idle)') idle++;
    else {
      busy++;
      self.set(name, (self.get(name) ?? 0) + 1);
    }
  });
  console.log(
    `busy ${((100 * busy) / Math.max(1, busy + idle)).toFixed(1)}% of the samples; self time as a share of busy:`,
  );
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, hits] of rows)
    console.log(`${((100 * hits) / Math.max(1, busy)).toFixed(1).padStart(5)}%  ${name}`);
}

const [command, ...args] = process.argv.slice(2);
const need = (i: number): string => {
  const value = args[i];
  if (value === undefined) throw new Error(`${command}: missing argument ${i + 1}`);
  return value;
};
switch (command) {
  case 'files':
    await files(Number(need(0)), need(1), need(2));
    break;
  case 'load':
    await load(need(0), Number(need(1)), need(2));
    break;
  case 'unload':
    await unload(need(0), need(1));
    break;
  case 'latency':
    await latency(need(0));
    break;
  case 'change':
    await change(need(0), need(1), Number(need(2)), Number(args[3] ?? 20));
    break;
  case 'rss':
    await rss(Number(need(0)));
    break;
  case 'cpu':
    await cpu(Number(need(0)));
    break;
  case 'profile':
    await profile(need(0), Number(args[1] ?? 25), Number(args[2] ?? 0));
    break;
  default:
    console.error('usage: dns-perf.ts files|load|unload|latency|change|rss|cpu|profile ...');
    process.exitCode = 2;
}
