/**
 * Time from a container's death to the removal of its DNS record from etcd, with `rundock agent` (Docker events),
 * beside the original setup it replaces: a bash heartbeat loop rewriting the record with a 60 s TTL.
 *
 * Usage: node --import tsx bench/agent-withdraw.ts [KILLS] [--reference measure|compute]
 *   KILLS        kills measured with the agent (default 20, at least 20 for the published figures)
 *   --reference  `measure` (default) runs the heartbeat loop once and waits for its record to expire (about 60 s);
 *                `compute` skips that run and prints the TTL bound, marked as computed.
 * Needs dockerd, the test image (bash scripts/test-env.sh up), /usr/bin/etcd, etcdctl and a build (npm run build).
 * Prints a Markdown table on stdout; progress on stderr. Removes its containers (bench-wd-*), etcd and the agent.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Etcd3, type Watcher } from 'etcd3';
import { recordKey } from '../src/registry/path.js';
import { startAgent, waitFor, type AgentProcess } from '../test/integration/agent-process.js';
import { ADDRESSES, docker, freePort, httpdCmd, IMAGE, rundockJson } from '../test/integration/harness.js';
import { startEtcd, type EtcdProcess } from '../test/integration/registry/etcd-process.js';
import {
  median,
  nowMs,
  parseNanoTime,
  percentile,
  progress,
  removeByPrefix,
  runBench,
  table,
  within,
} from './common.js';

const PREFIX = 'bench-wd-';
const DOMAIN = 's.bench.example.com';
const HOST = 'bench-1';
const HEALTH = ['--health-cmd', 'wget -q -O /dev/null http://127.0.0.1:8080/', '--health-interval', '1s'];
/** The original setup's record TTL and heartbeat period. */
const REF_TTL_S = 60;
const REF_HEARTBEAT_S = 10;

interface Args {
  kills: number;
  reference: 'measure' | 'compute';
}

function parseArgs(argv: readonly string[]): Args {
  let kills = 20;
  let reference: Args['reference'] = 'measure';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--reference') {
      const value = argv[++i];
      if (value !== 'measure' && value !== 'compute') throw new Error('--reference takes measure or compute');
      reference = value;
    } else if (arg !== undefined && /^\d+$/.test(arg)) {
      kills = Number(arg);
    } else {
      throw new Error(`unknown argument ${arg}; usage: agent-withdraw.ts [KILLS] [--reference measure|compute]`);
    }
  }
  if (kills < 1 || kills > 500) throw new Error('KILLS must be 1..500');
  return { kills, reference };
}

interface Sample {
  fromDeath: number;
  fromKillReturn: number;
  /** From Docker's `die` event (its timeNano): the part after Docker has processed the exit. */
  fromDieEvent: number;
}

/** Resolves with the time (ms, from the event's timeNano) of the container's next `die` event. */
async function nextDieEvent(name: string, signal: AbortSignal): Promise<{ at: Promise<number> }> {
  const stream = await docker.getEvents({
    filters: { type: ['container'], container: [name], event: ['die'] },
    abortSignal: signal,
  });
  const at = new Promise<number>((resolve, reject) => {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n')[0];
      if (line === undefined || !buffered.includes('\n')) return;
      const event = JSON.parse(line) as { timeNano?: number };
      if (typeof event.timeNano === 'number') resolve(event.timeNano / 1e6);
      else reject(new Error(`die event without timeNano: ${line}`));
    });
    stream.on('error', reject);
  });
  at.catch(() => undefined);
  return { at };
}

/** Resolves with the local time at which etcd reports `key` deleted; `cancel` stops the watch. */
async function watchDeletion(
  client: Etcd3,
  key: string,
): Promise<{ deleted: Promise<number>; cancel: () => Promise<void> }> {
  const watcher: Watcher = await client.watch().key(key).create();
  const deleted = new Promise<number>((resolve, reject) => {
    watcher.on('delete', () => resolve(nowMs()));
    watcher.on('error', reject);
  });
  return { deleted, cancel: () => watcher.cancel() };
}

async function finishedAt(name: string): Promise<number> {
  // Docker keeps the last exit's time in FinishedAt, also if the restart policy has started the container again.
  const state = (await docker.getContainer(name).inspect()).State;
  if (state.FinishedAt.startsWith('0001-')) throw new Error(`${name} has not exited after kill`);
  return parseNanoTime(state.FinishedAt);
}

/** One kill: enable a healthy service, wait for its record, kill it, time the record's removal. */
async function measureKill(client: Etcd3, index: number): Promise<Sample> {
  const name = `${PREFIX}${index}-${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  const key = recordKey(DOMAIN, name, HOST);
  const enabled = await rundockJson([
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
    ...HEALTH,
    ...ADDRESSES,
  ]);
  if (enabled.code !== 0) throw new Error(`enable ${name} failed (${enabled.code}): ${enabled.stdout}`);
  await waitFor(async () => (await client.get(key).string()) !== null, 10_000, 20);
  const watch = await watchDeletion(client, key);
  const events = new AbortController();
  try {
    const dieEvent = await nextDieEvent(name, events.signal);
    await docker.getContainer(name).kill();
    const killReturned = nowMs();
    const gone = await within(watch.deleted, 10_000, `record of ${name} removed`);
    const died = await finishedAt(name);
    const dieEventAt = await within(dieEvent.at, 5_000, `die event of ${name}`);
    return { fromDeath: gone - died, fromKillReturn: gone - killReturned, fromDieEvent: gone - dieEventAt };
  } finally {
    events.abort();
    await watch.cancel().catch(() => undefined);
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

/**
 * The original setup, once: a bash loop that, while the container runs, grants a 60 s lease and puts the record on
 * it every REF_HEARTBEAT_S seconds (etcd v3's equivalent of `etcdctl set --ttl 60`). The container is killed right
 * after a heartbeat, so the record lives one full TTL: the worst case. Returns ms from death to removal.
 */
async function measureReference(client: Etcd3, endpoint: string): Promise<number> {
  const name = `${PREFIX}ref-${randomBytes(3).toString('hex')}`;
  const key = recordKey(DOMAIN, 'bench-wd-ref', HOST);
  const container = await docker.createContainer({
    name,
    Image: IMAGE,
    Cmd: ['sh', '-c', 'trap "exit 0" TERM; httpd -f -p 8080 -h /www & wait'],
  });
  await container.start();
  const script = `
    for i in $(seq 1 12); do
      [ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ] || exit 0
      lease=$(etcdctl --endpoints="$EP" lease grant "$TTL" | awk '{print $2}')
      etcdctl --endpoints="$EP" put --lease="$lease" "$KEY" '{"host":"127.0.0.1","port":8080,"ttl":10}' >/dev/null
      sleep "$EVERY"
    done`;
  const put = client.watch().key(key).create();
  const watcher = await put;
  const firstPut = new Promise<void>((resolve) => watcher.once('put', () => resolve()));
  const deleted = new Promise<number>((resolve) => watcher.on('delete', () => resolve(nowMs())));
  const loop = spawn('bash', ['-c', script], {
    env: {
      ...process.env,
      ETCDCTL_API: '3',
      NAME: name,
      EP: endpoint,
      KEY: key,
      TTL: String(REF_TTL_S),
      EVERY: String(REF_HEARTBEAT_S),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const loopExited = new Promise<void>((resolve) => loop.once('exit', () => resolve()));
  try {
    await within(firstPut, 10_000, 'first heartbeat');
    await container.kill();
    progress(`reference: killed right after a heartbeat; waiting up to ${REF_TTL_S + 10} s for the record to expire`);
    const gone = await within(deleted, (REF_TTL_S + 10) * 1000, 'reference record expired');
    const died = await finishedAt(name);
    await within(loopExited, 15_000, 'heartbeat loop exits');
    return gone - died;
  } finally {
    if (loop.exitCode === null && loop.signalCode === null) loop.kill('SIGKILL');
    await watcher.cancel().catch(() => undefined);
    await container.remove({ force: true }).catch(() => undefined);
  }
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;

let etcd: EtcdProcess | undefined;
let agent: AgentProcess | undefined;
let client: Etcd3 | undefined;

await runBench(
  async () => {
    const args = parseArgs(process.argv.slice(2));
    etcd = await startEtcd();
    const etcdClient = new Etcd3({ hosts: etcd.endpoint });
    client = etcdClient;
    agent = await startAgent([
      '--etcd',
      etcd.endpoint,
      '--domain',
      DOMAIN,
      '--hostname',
      HOST,
      '--private-ip',
      '127.0.0.1',
      '--public-ip',
      '127.0.0.1',
      '--stable-after',
      '1s',
    ]);
    const samples: Sample[] = [];
    for (let i = 1; i <= args.kills; i++) {
      const sample = await measureKill(etcdClient, i);
      samples.push(sample);
      progress(
        `kill ${i}/${args.kills}: removed ${ms(sample.fromDeath)} after death, ${ms(sample.fromKillReturn)} after kill() returned, ${ms(sample.fromDieEvent)} after the die event`,
      );
    }
    let reference: number | undefined;
    if (args.reference === 'measure') reference = await measureReference(etcdClient, etcd.endpoint);

    const row = (label: string, from: string, values: number[]): string[] => [
      label,
      from,
      String(values.length),
      ms(median(values)),
      ms(percentile(values, 90)),
      ms(Math.max(...values)),
    ];
    const deaths = samples.map((s) => s.fromDeath);
    const returns = samples.map((s) => s.fromKillReturn);
    const refRow =
      reference === undefined
        ? [
            `original: bash heartbeat every ${REF_HEARTBEAT_S} s, TTL ${REF_TTL_S} s`,
            'container death',
            '0 (computed)',
            `${(REF_TTL_S - REF_HEARTBEAT_S / 2) * 1000} ms (computed, mean over phase)`,
            '-',
            `${REF_TTL_S * 1000} ms (computed: one TTL)`,
          ]
        : [
            `original: bash heartbeat every ${REF_HEARTBEAT_S} s, TTL ${REF_TTL_S} s (killed right after a heartbeat)`,
            'container death (State.FinishedAt)',
            '1 (measured)',
            ms(reference),
            '-',
            ms(reference),
          ];
    console.log(
      table(
        ['setup', 'measured from', 'runs', 'median', 'p90', 'worst'],
        [
          row('rundock agent (Docker events, etcd txn)', 'container death (State.FinishedAt)', deaths),
          row('rundock agent (Docker events, etcd txn)', 'kill() API call returned', returns),
          row(
            'rundock agent (Docker events, etcd txn)',
            "Docker's `die` event (timeNano)",
            samples.map((s) => s.fromDieEvent),
          ),
          refRow,
        ],
      ),
    );
    console.log(
      `\nremoval observed through an etcd watch on the record's key (local clock; etcd gives no event timestamps).`,
    );
    console.log(
      `original setup: a dead container's record stays between ${REF_TTL_S - REF_HEARTBEAT_S} s and ${REF_TTL_S} s, depending on when its last heartbeat was written.`,
    );
  },
  async () => {
    client?.close();
    await agent?.stop('SIGTERM');
    await etcd?.kill();
    const removed = await removeByPrefix(PREFIX);
    if (removed > 0) progress(`removed ${removed} leftover ${PREFIX}* containers`);
  },
);
