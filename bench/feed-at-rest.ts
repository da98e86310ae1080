/**
 * What record feeds at rest cost etcd (issue 24): F feeds (EtcdZoneFeed, as `rundock dns`, the gateway and the UI
 * run them) follow a domain of N hosts x 20 records (bench/scale/layout.ts) on a throwaway single-member etcd, and
 * nothing changes for the window; etcd's own /metrics give its CPU and the requests it received. Each count of
 * feeds is measured in turn, then the same with no feed at all (etcd's own idle cost).
 *
 * Usage: node --import tsx bench/feed-at-rest.ts [--hosts 1000] [--feeds 2,20] [--window SECONDS]
 *                                                [--feed-module PATH]
 *   --feed-module  another feed-etcd.ts to measure (e.g. the previous commit's, from `git archive`): the reference
 * Needs /usr/bin/etcd. Markdown on stdout, progress on stderr.
 */
import { Etcd3 } from 'etcd3';
import pino from 'pino';
import { domainPrefix } from '../src/registry/path.js';
import type { FeedDriver, ZoneSink } from '../src/registry/feed.js';
import type { EtcdZoneFeedOptions } from '../src/registry/feed-etcd.js';
import { startEtcd, type EtcdProcess } from '../test/integration/registry/etcd-process.js';
import { delta, grpcKey, readCounters, readValue } from '../test/support/prometheus.js';
import { DOMAIN, hostAddress, instanceKeyOf, instancesOf } from './scale/layout.js';
import { progress, runBench, sleep, table } from './common.js';

interface Args {
  hosts: number;
  feeds: number[];
  windowS: number;
  module: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { hosts: 1000, feeds: [2, 20], windowS: 60, module: '../src/registry/feed-etcd.js' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value = ''] = [argv[i], argv[i + 1]];
    if (flag === '--hosts' && /^\d+$/.test(value) && Number(value) % 10 === 0) args.hosts = Number(value);
    else if (flag === '--feeds' && /^\d+(,\d+)*$/.test(value)) args.feeds = value.split(',').map(Number);
    else if (flag === '--window' && /^\d+$/.test(value)) args.windowS = Number(value);
    else if (flag === '--feed-module' && value !== '') args.module = value;
    else throw new Error(`bad argument ${flag} ${value} (see the usage in bench/feed-at-rest.ts)`);
  }
  return args;
}

type FeedClass = new (o: EtcdZoneFeedOptions) => FeedDriver;

interface Measured {
  feeds: number;
  cpuMsPerS: number;
  perSecond: Map<string, number>;
}

let etcd: EtcdProcess | undefined;
const running: FeedDriver[] = [];

async function fill(endpoint: string, hosts: number): Promise<number> {
  const client = new Etcd3({ hosts: [endpoint] });
  const layout = { hosts, servicesPerHost: 20 };
  const records = Array.from({ length: hosts }, (_, h) => instancesOf(layout, h)).flat();
  for (let i = 0; i < records.length; i += 200)
    await Promise.all(
      records
        .slice(i, i + 200)
        .map((r) => client.put(instanceKeyOf(r)).value(JSON.stringify({ host: hostAddress(r.host), port: r.port }))),
    );
  client.close();
  return records.length;
}

async function measure(endpoint: string, Feed: FeedClass, count: number, windowS: number): Promise<Measured> {
  const sink: ZoneSink = { replaceAll: () => undefined, put: () => undefined, delete: () => undefined };
  const log = pino({ level: 'silent' });
  for (let i = 0; i < count; i++) {
    const feed = new Feed({ hosts: [endpoint], prefix: domainPrefix(DOMAIN), sink, log });
    running.push(feed);
    await feed.start();
  }
  await sleep(3000);
  const sample = async (): Promise<{ at: number; text: string }> => ({
    at: Date.now(),
    text: await (await fetch(`${endpoint}/metrics`)).text(),
  });
  const before = await sample();
  await sleep(windowS * 1000);
  const after = await sample();
  await Promise.all(running.splice(0).map(async (f) => f.stop()));
  const seconds = (after.at - before.at) / 1000;
  const cpu = readValue(after.text, 'process_cpu_seconds_total') - readValue(before.text, 'process_cpu_seconds_total');
  const received = delta(
    readCounters(before.text, 'grpc_server_msg_received_total', grpcKey),
    readCounters(after.text, 'grpc_server_msg_received_total', grpcKey),
  );
  return {
    feeds: count,
    cpuMsPerS: (cpu * 1000) / seconds,
    perSecond: new Map([...received].filter(([, n]) => n > 0).map(([k, n]) => [k, n / seconds])),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const Feed = ((await import(args.module)) as { EtcdZoneFeed: FeedClass }).EtcdZoneFeed;
  etcd = await startEtcd();
  const keys = await fill(etcd.endpoint, args.hosts);
  const results: Measured[] = [];
  for (const count of [...args.feeds, 0]) {
    progress(`${count} feeds over ${keys} keys: ${args.windowS} s`);
    results.push(await measure(etcd.endpoint, Feed, count, args.windowS));
  }
  const methods = [...new Set(results.flatMap((r) => [...r.perSecond.keys()]))].sort();
  console.log(`${args.module}, ${keys} keys, ${args.windowS} s windows, ${new Date().toISOString()}:\n`);
  console.log(
    table(
      ['feeds at rest', ...results.map((r) => String(r.feeds))],
      [
        ['etcd CPU (ms per s)', ...results.map((r) => r.cpuMsPerS.toFixed(1))],
        ...methods.map((m) => [`${m} (messages/s)`, ...results.map((r) => (r.perSecond.get(m) ?? 0).toFixed(2))]),
      ],
    ),
  );
}

await runBench(main, async () => {
  await Promise.all(running.map(async (f) => f.stop()));
  await etcd?.kill();
});
