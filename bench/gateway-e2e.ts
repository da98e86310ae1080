/**
 * End to end: from an instance's record put into etcd (as the agent writes it) to the first answer of that instance
 * through nginx, with `rundock gateway`'s defaults (debounce 200 ms quiet / 2 s max, nginx -t, SIGHUP, new workers).
 *
 * Usage: node --import tsx bench/gateway-e2e.ts [RUNS]   (default 20)
 * Needs /usr/sbin/nginx and /usr/bin/etcd (scripts/test-env.sh installs both). Starts its own etcd and nginx
 * (temporary directories, 127.0.0.1 only) and removes them at the end. Markdown on stdout, progress on stderr.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { DEFAULT_DEBOUNCE } from '../src/gateway/debounce.js';
import { startGateway, type Gateway } from '../src/gateway/gateway.js';
import { gatewayRenderOptions } from '../src/gateway/options.js';
import { ProcessFeeds } from '../src/registry/feeds.js';
import {
  announce,
  freePort,
  get,
  startBackend,
  testLogger,
  withdraw,
  type Backend,
} from '../test/integration/gateway/backends.js';
import { orFalse, waitFor } from '../test/support/wait.js';
import { startNginx, type NginxProcess } from '../test/integration/gateway/nginx-process.js';
import { startEtcd, type EtcdProcess } from '../test/integration/registry/etcd-process.js';
import { median, percentile, progress, runBench, sleep, table } from './common.js';

const DOMAIN = 's.bench.example.com';
const HOST = 'grafana.example.com';

let etcd: EtcdProcess | undefined;
let nginx: NginxProcess | undefined;
let gateway: Gateway | undefined;
let client: Etcd3 | undefined;
let feeds: ProcessFeeds | undefined;
const backends: Backend[] = [];

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 20);
  if (!Number.isInteger(runs) || runs < 1 || runs > 200) throw new Error('usage: gateway-e2e.ts [RUNS 1..200]');
  etcd = await startEtcd();
  nginx = await startNginx(2);
  client = new Etcd3({ hosts: [etcd.endpoint] });
  const port = await freePort();
  const render = gatewayRenderOptions({ domain: DOMAIN, routes: [`${HOST}=grafana`], listen: [`127.0.0.1:${port}`] });
  feeds = new ProcessFeeds({ source: { etcd: { hosts: [etcd.endpoint] } }, log: testLogger() });
  gateway = await startGateway({
    domain: DOMAIN,
    feeds,
    file: join(nginx.confDir, 'upstreams.conf'),
    render,
    nginx: nginx.options,
    log: testLogger(),
  });
  for (let i = 0; i < runs; i++) backends.push(await startBackend(`e2e-${i}`));
  const samples: number[] = [];
  for (const [i, backend] of backends.entries()) {
    const host = `node-${i}`;
    const started = performance.now();
    await announce(client, DOMAIN, 'grafana', host, backend.port);
    await waitFor(
      orFalse(async () => (await get(port, HOST)).body === `backend ${backend.name}\n`),
      5000,
      20,
      `${backend.name} answers`,
    );
    samples.push(performance.now() - started);
    progress(`run ${i + 1}: ${samples.at(-1)?.toFixed(0)} ms`);
    await withdraw(client, DOMAIN, 'grafana', host);
    await sleep(DEFAULT_DEBOUNCE.minQuietMs + 300); // let the withdrawal apply before the next run
  }
  const ms = (v: number): string => `${v.toFixed(0)} ms`;
  console.log(
    `Run of ${new Date().toISOString().slice(0, 10)} (${runs} runs; debounce ${DEFAULT_DEBOUNCE.minQuietMs} ms / ${DEFAULT_DEBOUNCE.maxWaitMs} ms):\n`,
  );
  console.log(
    table(
      ['from', 'to', 'median', 'p90', 'worst'],
      [
        [
          'record put in etcd',
          'first answer of that instance through nginx',
          ms(median(samples)),
          ms(percentile(samples, 90)),
          ms(Math.max(...samples)),
        ],
      ],
    ),
  );
}

void runBench(main, async () => {
  await gateway?.stop();
  await feeds?.stop();
  await nginx?.stop();
  client?.close();
  await etcd?.kill();
  await Promise.all(backends.map((b) => b.close()));
});
