import type { Command } from 'commander';
// Static: a dynamic import of this CommonJS module from the bundle has no named exports.
import { Registry } from 'prom-client';
import { startStatusServer } from '../shared/status-server.js';
import { configFilePath } from '../shared/config-file.js';
import { loadHostConfig } from '../shared/config.js';
import { logger } from '../shared/log.js';
import type { GlobalOptions } from './context.js';
import type { OptionSource } from './config-flags.js';
import { runUntilSignal } from './daemon-run.js';
import { addDeclaredOptions } from './daemon-options/declare.js';
import { GATEWAY_OPTIONS, gatewaySettings } from './daemon-options/gateway.js';
import { GATEWAY_RENDER_OPTIONS } from './daemon-options/gateway-render.js';
import { addEtcdOptions, warnPlainEtcd, type EtcdFlags } from './etcd-flags.js';
import type { Logger } from 'pino';
import type { EtcdConnection } from '../registry/etcd-connection.js';
import { gatewayKey } from '../registry/path.js';
import { encodeServingReport, type ServingReport } from '../registry/serving-report.js';
import { RegistryWriter } from '../registry/writer.js';
import { ProcessFeeds } from '../registry/feeds.js';
import type { Registry as RecordRegistry } from '../registry/registry.js';
import { withdrawStep } from './stop-steps.js';
import { withAcmeStore } from './gateway-tls.js';
import type { Gateway } from '../gateway/gateway.js';

/** The flags addGatewayOptions adds. */
export interface GatewayRenderFlags {
  nginxConfDir?: string;
  file: string;
  upstream: string[];
  route: string[];
  routeListen: string[];
  httpsListen: string[];
  hsts?: boolean;
  certificate: string[];
  acmeEmail?: string;
  acmeDirectory?: string;
  acmeCaFile?: string;
  upstreamOption: string[];
  template?: string;
  nginxResolve?: string;
  nginx: string;
  nginxConf?: string;
  nginxPrefix?: string;
  nginxErrorLog?: string;
  nginxPidFile?: string;
  nginxReload: string;
  minWait: string;
  maxWait: string;
}

interface GatewayFlags extends GatewayRenderFlags, EtcdFlags {
  domain?: string;
  hostname?: string;
  leaseTtl?: string;
  statusListen?: string;
  metricsListen?: string;
}

/** Adds `rundock gateway` to the program; `run` converts errors to exit statuses (as for every command). */
export function registerGateway(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const command = addEtcdOptions(
    program
      .command('gateway')
      .description(
        'render nginx upstreams (and routes) from the registry; nginx -t, then graceful reload; runs in the foreground',
      ),
    'etcd endpoints, comma separated',
  );
  addDeclaredOptions(command, GATEWAY_OPTIONS);
  addGatewayOptions(command).action((flags: GatewayFlags, self: Command) =>
    run(() => runGateway(flags, (key) => self.getOptionValueSource(key), program.opts<GlobalOptions>())),
  );
}

/** The rendering and nginx options, shared by `rundock gateway` and `rundock agent --nginx-conf-dir`. */
export function addGatewayOptions(command: Command): Command {
  return addDeclaredOptions(command, GATEWAY_RENDER_OPTIONS);
}

async function runGateway(given: GatewayFlags, sourceOf: OptionSource, global: GlobalOptions): Promise<number> {
  const config = loadHostConfig(global.config);
  const settings = await gatewaySettings(given, sourceOf, config, configFilePath(global.config));
  const { etcd, host, leaseTtl } = settings;
  const log = logger('gateway');
  warnPlainEtcd(etcd, log);
  // A signal during the start stops the gateway cleanly too (the first load is bounded).
  return runUntilSignal('gateway', log, async ({ onHup }) => {
    const metricsRegistry = new Registry();
    const { startGateway } = await import('../gateway/gateway.js');
    const reports = await reportWriter(etcd, leaseTtl, log);
    const serving = {
      host,
      publish: (r: ServingReport) => reports.writer.write(new Map([[gatewayKey(host), encodeServingReport(r)]])),
    };
    // Started by the gateway's first ask, after it checked its directory and template.
    const feeds = new ProcessFeeds({ source: { etcd }, log });
    const start = async (): Promise<Gateway> => {
      const tls = await withAcmeStore(settings.gateway.tls, { etcd, feeds, leaseTtl, holder: host });
      return startGateway({ ...settings.gateway, tls, feeds, metricsRegistry, log, serving });
    };
    const gateway = await start().catch(async (error: unknown) => {
      await feeds.stop();
      throw error;
    });
    const status = await startStatusServer(
      settings.statusListen,
      metricsRegistry,
      () => gateway.status(),
      {},
      () => gateway.notReady(),
    );
    const address = `${status.address.address}:${status.address.port}`;
    log.info({ domain: settings.gateway.domain, file: settings.gateway.file, status: address }, 'gateway started');
    onHup(() => gateway.refresh());
    return {
      stopSteps: () => {
        // The report goes first: a redeploy waiting on this gateway must not count it as serving any more.
        reports.writer.stop();
        return [
          withdrawStep(reports.registry, leaseTtl, 'report'),
          { name: 'stop the gateway', run: (s) => gateway.stop(s) },
          { name: 'stop the record feed', run: () => feeds.stop() },
          { name: 'close the registry', run: () => reports.registry.close() },
          { name: 'close the status server', run: () => status.close() },
        ];
      },
    };
  });
}

/** Writes the gateway's report to etcd on a lease of its own, so it vanishes with a gateway that died. */
async function reportWriter(
  etcd: EtcdConnection,
  leaseTtl: number,
  log: Logger,
): Promise<{ writer: RegistryWriter; registry: RecordRegistry }> {
  const { EtcdRegistry } = await import('../registry/etcd.js');
  const registry = new EtcdRegistry({ ...etcd, ttlSeconds: leaseTtl });
  return { writer: new RegistryWriter(registry, log), registry };
}
