/**
 * From a route record put into etcd (as the agent writes it at `enable --route`) to the first 200 through nginx, and
 * the reloads each route change costs: a new hostname over HTTPS (the ACME order against Pebble included), a path
 * route added to a hostname that already has its certificate (HTTPS), and, as the reference, a new hostname on a
 * gateway without HTTPS (plain HTTP). Each gateway runs with `rundock gateway`'s default debounce.
 *
 * Usage: node --import tsx bench/gateway-https.ts [RUNS]   (default 5)
 * Needs nginx, etcd and pebble (scripts/test-env.sh installs them). Starts its own etcd, Pebble and two nginx
 * (temporary directories, 127.0.0.1 only) and removes them at the end. Markdown on stdout, progress on stderr.
 */
import { performance } from 'node:perf_hooks';
import { Etcd3 } from 'etcd3';
import { etcdAcmeStore } from '../src/gateway/acme/store-etcd.js';
import { DEFAULT_DEBOUNCE } from '../src/gateway/debounce.js';
import { announce, freePort, get, startBackend, type Backend } from '../test/integration/gateway/backends.js';
import { claimRoutes, httpsGet } from '../test/integration/gateway/https-client.js';
import { startPebble, type PebbleProcess } from '../test/integration/gateway/pebble.js';
import { setupGateway, type GatewayUnderTest } from '../test/integration/gateway/setup.js';
import { startEtcd, type EtcdProcess } from '../test/integration/registry/etcd-process.js';
import { orFalse, waitFor } from '../test/support/wait.js';
import { median, progress, runBench, table } from './common.js';

const RUNS = Number(process.argv[2] ?? 5);

let etcd: EtcdProcess | undefined;
let pebble: PebbleProcess | undefined;
let client: Etcd3 | undefined;
let backend: Backend | undefined;
let api: Backend | undefined;
const gateways: GatewayUnderTest[] = [];

interface Sample {
  readonly ms: number;
  readonly reloads: number;
}

/** Writes `routes` for `service`, waits for `served`, then for the gateway to settle; the time and reloads it took. */
async function measure(
  g: GatewayUnderTest,
  service: string,
  routes: string[],
  served: () => Promise<boolean>,
): Promise<Sample> {
  await g.gateway.idle();
  const before = await g.reloads();
  const started = performance.now();
  await claimRoutes(client!, g.domain, service, 'node-back-1', routes);
  await waitFor(orFalse(served), 60_000, 20, `${routes.join(',')} served`);
  const ms = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, DEFAULT_DEBOUNCE.maxWaitMs));
  await g.gateway.idle();
  return { ms, reloads: (await g.reloads()) - before };
}

async function main(): Promise<void> {
  const port = await freePort();
  [etcd, pebble, backend, api] = await Promise.all([
    startEtcd(),
    startPebble({ httpPort: port }),
    startBackend('shop'),
    startBackend('api'),
  ]);
  client = new Etcd3({ hosts: [etcd.endpoint] });
  const root = await pebble.issuerRoot();
  const source = (): { etcd: { hosts: string[] } } => ({ etcd: { hosts: [etcd!.endpoint] } });
  const https = await setupGateway({
    port,
    source,
    debounce: DEFAULT_DEBOUNCE,
    tls: async (feeds, directory) => ({
      certificates: [],
      directory,
      acme: {
        email: 'ops@example.com',
        directory: pebble!.directory,
        caFile: pebble!.caFile,
        store: await etcdAcmeStore({ connection: { hosts: [etcd!.endpoint] }, feeds, lockTtlSeconds: 30, holder: 'b' }),
      },
    }),
  });
  gateways.push(https);
  const plain = await setupGateway({ source, debounce: DEFAULT_DEBOUNCE });
  gateways.push(plain);
  await announce(client, https.domain, 'shop', 'node-back-1', backend.port);
  await announce(client, https.domain, 'api', 'node-back-1', api.port);
  await announce(client, plain.domain, 'web', 'node-back-1', backend.port);
  const samples: { order: Sample; path: Sample; plain: Sample }[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const name = `shop${run}-${Date.now().toString(36)}.example.com`;
    const answers = async (path: string, body: string): Promise<boolean> => {
      const answer = await httpsGet(https.httpsPort, name, root, path);
      return answer.status === 200 && answer.body === body;
    };
    const order = await measure(https, 'shop', [name], () => answers('/', 'backend shop\n'));
    const path = await measure(https, 'api', [`${name}/api`], () => answers('/api/', 'backend api\n'));
    const other = `plain${run}-${Date.now().toString(36)}.example.com`;
    const reference = await measure(plain, 'web', [other], async () => (await get(plain.port, other)).status === 200);
    samples.push({ order, path, plain: reference });
    progress(
      `run ${run}: order ${order.ms.toFixed(0)} ms, path ${path.ms.toFixed(0)} ms, plain ${reference.ms.toFixed(0)} ms`,
    );
  }
  report(samples);
}

function report(samples: readonly { order: Sample; path: Sample; plain: Sample }[]): void {
  const reference = median(samples.map((s) => s.plain.ms));
  const row = (what: string, pick: (s: (typeof samples)[number]) => Sample): string[] => {
    const ms = samples.map((s) => pick(s).ms);
    const reloads = [...new Set(samples.map((s) => pick(s).reloads))].sort().join(', ');
    return [what, median(ms).toFixed(0), Math.max(...ms).toFixed(0), (median(ms) / reference).toFixed(1), reloads];
  };
  console.log(
    `${samples.length} runs, debounce ${DEFAULT_DEBOUNCE.minQuietMs} ms quiet / ${DEFAULT_DEBOUNCE.maxWaitMs} ms max\n`,
  );
  console.log(
    table(
      ['route record put -> first 200', 'median ms', 'max ms', 'x plain HTTP', 'reloads per change'],
      [
        row('new hostname, HTTPS (ACME order against Pebble included)', (s) => s.order),
        row('path route on a hostname with its certificate, HTTPS', (s) => s.path),
        row('reference: new hostname, plain HTTP (no TLS)', (s) => s.plain),
      ],
    ),
  );
}

async function cleanup(): Promise<void> {
  await Promise.all(gateways.map((g) => g.stop()));
  client?.close();
  await Promise.all([pebble?.stop(), backend?.close(), api?.close(), etcd?.kill()]);
}

void runBench(main, cleanup);
