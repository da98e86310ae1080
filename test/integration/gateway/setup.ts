/**
 * One gateway under test: its own nginx (temporary prefix, loopback port) and a fresh domain in a shared etcd, with
 * a short debounce so tests run fast. Used by every test in this folder and by the benchmark.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { startGateway, type Gateway } from '../../../src/gateway/gateway.js';
import type { DebounceOptions } from '../../../src/gateway/debounce.js';
import type { TlsOptions } from '../../../src/gateway/tls.js';
import { gatewayRenderOptions, type RenderOptionsInput } from '../../../src/gateway/options.js';
import { ProcessFeeds, type FeedSource } from '../../../src/registry/feeds.js';
import { freePort, metricValue, testLogger } from './backends.js';
import { orFalse, waitFor } from '../../support/wait.js';
import { startNginx, type NginxProcess } from './nginx-process.js';

export interface GatewayUnderTest {
  domain: string;
  /** Where route servers listen: 127.0.0.1:port. */
  port: number;
  /** Where HTTPS route servers listen: 127.0.0.1:httpsPort. */
  httpsPort: number;
  feeds: ProcessFeeds;
  nginx: NginxProcess;
  gateway: Gateway;
  metrics: Registry;
  /** The rendered file. */
  file: string;
  /** Successful reloads so far. */
  reloads(): Promise<number>;
  /** Resolves once `reloads()` exceeds `count` (bounded by `timeoutMs`). */
  reloadedAfter(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

let seq = 0;
/** A domain no other test uses: `g<n><time>.gw.test`. */
export function freshDomain(): string {
  return `g${++seq}${Date.now().toString(36)}.gw.test`;
}

export interface SetupOptions extends Omit<RenderOptionsInput, 'domain' | 'listen' | 'httpsListen'> {
  source: (domain: string) => FeedSource;
  /** A template written to a file (PORT replaced by the route port) and passed as templateFile. */
  template?: string;
  /** The plain HTTP route port (default: a free one), e.g. the one a test's ACME CA validates on. */
  port?: number;
  /** The domain (default: a fresh one). */
  domain?: string;
  /** The gateway's debounce (default: 50 ms quiet, 500 ms max, for fast tests). */
  debounce?: DebounceOptions;
  /** HTTPS: made once the feeds exist (an ACME store follows them); certificates go to `certDir`. */
  tls?: (feeds: ProcessFeeds, certDir: string) => Promise<TlsOptions>;
}

/** Starts nginx and a gateway over it; resolves after the first reload. */
export async function setupGateway(o: SetupOptions): Promise<GatewayUnderTest> {
  const domain = o.domain ?? freshDomain();
  const nginx = await startNginx();
  const port = o.port ?? (await freePort());
  const httpsPort = await freePort();
  const file = join(nginx.confDir, 'upstreams.conf');
  const templateFile = o.template === undefined ? undefined : join(nginx.prefix, 'gateway.tmpl');
  if (templateFile !== undefined) await writeFile(templateFile, (o.template ?? '').replaceAll('PORT', String(port)));
  const metrics = new Registry();
  const render = gatewayRenderOptions({
    ...o,
    domain,
    listen: [`127.0.0.1:${port}`],
    httpsListen: [`127.0.0.1:${httpsPort}`],
  });
  const feeds = new ProcessFeeds({ source: o.source(domain), log: testLogger() });
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      tls: await o.tls?.(feeds, join(nginx.confDir, 'certs')),
      domain,
      feeds,
      file,
      render,
      templateFile,
      nginx: nginx.options,
      debounce: o.debounce ?? { minQuietMs: 50, maxWaitMs: 500 },
      metricsRegistry: metrics,
      log: testLogger(),
    });
  } catch (error) {
    await feeds.stop();
    await nginx.stop();
    throw error;
  }
  const reloads = (): Promise<number> => metricValue(metrics, 'rundock_gateway_reloads_total', { outcome: 'ok' });
  const reloadedAfter = async (count: number, timeoutMs = 5000): Promise<void> => {
    await waitFor(
      orFalse(async () => (await reloads()) > count),
      timeoutMs,
      20,
      `more than ${count} reloads`,
    );
  };
  await reloadedAfter(0);
  return {
    domain,
    port,
    httpsPort,
    feeds,
    nginx,
    gateway,
    metrics,
    file,
    reloads,
    reloadedAfter,
    stop: async () => {
      await gateway.stop();
      await feeds.stop();
      await nginx.stop();
    },
  };
}
