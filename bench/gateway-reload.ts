/**
 * Time to apply a registry change to nginx with `rundock gateway`'s pipeline, for 10, 100 and 1,000 upstreams:
 * decode the records and render (pure), `nginx -t` of the whole config, the checked install (stage, swap, nginx -t,
 * keep), and the graceful reload until the new workers have taken over (started by the master, and the old ones
 * told to stop accepting), by SIGHUP and, for comparison, by `nginx -s reload`.
 *
 * Usage: node --import tsx bench/gateway-reload.ts [RUNS] [--sizes 10,100,1000]
 *   RUNS   runs per size (default 5; the median is printed)
 * Needs /usr/sbin/nginx (scripts/test-env.sh installs it). Starts its own nginx in a temporary prefix (loopback
 * only, no listening server: the rendered file has upstreams only), never the system one; removes it at the end.
 * Prints a Markdown table on stdout; progress on stderr.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConfigApplier } from '../src/gateway/apply.js';
import { ConfigFile } from '../src/gateway/config-file.js';
import { NginxControl } from '../src/gateway/nginx.js';
import { gatewayRenderOptions } from '../src/gateway/options.js';
import { renderUpstreams } from '../src/gateway/render.js';
import { snapshotFromRecords } from '../src/gateway/snapshot.js';
import { recordKey } from '../src/registry/path.js';
import { encodeRecord } from '../src/registry/record.js';
import { startNginx, type NginxProcess } from '../test/integration/gateway/nginx-process.js';
import { median, progress, runBench, sleep, table } from './common.js';

const DOMAIN = 's.bench.example.com';
const INSTANCES = 2;
/**
 * Pause after each reload: nginx's master sleeps 100 ms after starting new workers (to let them start) before it
 * handles the next signal, so back-to-back reloads would measure that sleep, not the reload.
 */
const SETTLE_MS = 300;

interface Args {
  runs: number;
  sizes: number[];
}

function parseArgs(argv: readonly string[]): Args {
  let runs = 5;
  let sizes = [10, 100, 1000];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--sizes') sizes = (argv[++i] ?? '').split(',').map(Number);
    else if (arg !== undefined && /^\d+$/.test(arg)) runs = Number(arg);
    else throw new Error(`unknown argument ${arg}; usage: gateway-reload.ts [RUNS] [--sizes 10,100,1000]`);
  }
  if (runs < 1 || runs > 50 || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 5000))
    throw new Error('RUNS 1..50, sizes 1..5000');
  return { runs, sizes };
}

/** Registry entries of `count` services of two instances each; `variant` moves one port so every run renders new text. */
function records(count: number, variant: number): [string, string][] {
  const entries: [string, string][] = [];
  for (let s = 0; s < count; s++) {
    for (let i = 0; i < INSTANCES; i++) {
      const port = 20_000 + s * INSTANCES + i + (s === 0 && i === 0 ? variant : 0);
      entries.push([
        recordKey(DOMAIN, `svc-${s}`, `node-${i}`),
        encodeRecord({ host: `10.0.${i}.${(s % 250) + 1}`, port, ttl: 10 }),
      ]);
    }
  }
  return entries;
}

interface Sample {
  render: number;
  test: number;
  install: number;
  workersStarted: number;
  reloadSignal: number;
  reloadCommand: number;
  total: number;
  bytes: number;
}

async function measure(nginx: NginxProcess, count: number, run: number): Promise<Sample> {
  const options = gatewayRenderOptions({ domain: DOMAIN });
  const file = new ConfigFile(join(nginx.confDir, 'upstreams.conf'));
  const signal = new NginxControl({ ...nginx.options, reload: 'signal' });
  const command = new NginxControl({ ...nginx.options, reload: 'command' });
  const applier = new ConfigApplier(file, signal);
  const entries = records(count, run * 2 + 1);
  const started = performance.now();
  const text = renderUpstreams(snapshotFromRecords(DOMAIN, entries).snapshot, options);
  const render = performance.now() - started;
  const result = await applier.apply(text);
  const total = performance.now() - started;
  if (result.outcome !== 'reloaded' || !result.confirmed) throw new Error(`apply failed: ${JSON.stringify(result)}`);
  const testStarted = performance.now();
  const tested = await signal.test();
  const test = performance.now() - testStarted;
  if (!tested.ok) throw new Error(tested.output);
  await sleep(SETTLE_MS);
  const commandStarted = performance.now();
  await command.reload();
  const reloadCommand = performance.now() - commandStarted;
  await sleep(SETTLE_MS);
  return {
    render,
    test,
    install: result.testMs,
    workersStarted: result.workersStartedMs ?? NaN,
    reloadSignal: result.reloadMs,
    reloadCommand,
    total,
    bytes: Buffer.byteLength(text),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const nginx = await startNginx(2);
  cleanup = () => nginx.stop();
  const rows: string[][] = [];
  for (const count of args.sizes) {
    await measure(nginx, count, 99); // warm-up: the first reload at a new size also grows nginx's memory
    const samples: Sample[] = [];
    for (let run = 0; run < args.runs; run++) samples.push(await measure(nginx, count, run));
    const med = (pick: (s: Sample) => number): string => `${median(samples.map(pick)).toFixed(1)} ms`;
    rows.push([
      String(count),
      String(count * INSTANCES),
      `${((samples[0]?.bytes ?? 0) / 1024).toFixed(0)} KiB`,
      med((s) => s.render),
      med((s) => s.test),
      med((s) => s.install),
      med((s) => s.workersStarted),
      med((s) => s.reloadSignal),
      med((s) => s.total),
      med((s) => s.reloadCommand),
    ]);
    progress(`${count} upstreams: ${rows.at(-1)?.join(' | ')}`);
  }
  console.log(
    `Run of ${new Date().toISOString().slice(0, 10)} (median of ${args.runs} runs each, after one warm-up; nginx ${await nginxVersion(nginx)}, 2 workers):\n`,
  );
  console.log(
    table(
      [
        'upstreams',
        'servers',
        'file',
        'decode + render',
        'nginx -t',
        'install (stage + swap + nginx -t + keep)',
        'SIGHUP -> new workers',
        'SIGHUP -> old workers retired',
        'total (render + install + reload)',
        'nginx -s reload -> old workers retired',
      ],
      rows,
    ),
  );
}

async function nginxVersion(nginx: NginxProcess): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) =>
    execFile(nginx.options.bin, ['-v'], (_e, _out, err) => resolve(err.trim().replace(/^nginx version: nginx\//, ''))),
  );
}

let cleanup: () => Promise<void> = async () => undefined;
void runBench(main, () => cleanup());
