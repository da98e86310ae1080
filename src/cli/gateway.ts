import { join } from 'node:path';
import type { Command } from 'commander';
// Static: a dynamic import of this CommonJS module from the bundle has no named exports.
import { Registry } from 'prom-client';
import { startStatusServer } from '../shared/status-server.js';
import { loadHostConfig, type HostConfig } from '../shared/config.js';
import { ValidationError } from '../shared/errors.js';
import { logger } from '../shared/log.js';
import { durationNanos } from '../spec/args/values.js';
import type { GatewayOptions } from '../gateway/gateway.js';
import type { NginxOptions } from '../gateway/nginx.js';
import type { GatewaySource } from '../gateway/source.js';
import type { GlobalOptions } from './context.js';
import { withConfigSection, type OptionSource } from './config-flags.js';
import { addEtcdOptions, etcdConnection, type EtcdFlags } from './etcd-flags.js';
import { parseListen } from './listen.js';
import type { Logger } from 'pino';
import type { EtcdConnection } from '../registry/etcd-connection.js';
import { checkLabel, gatewayKey } from '../registry/path.js';
import { encodeServingReport, type ServingReport } from '../registry/serving-report.js';
import { RegistryWriter } from '../registry/writer.js';
import type { Registry as RecordRegistry } from '../registry/registry.js';
import { hostName } from '../runtime/host.js';
import { stopSignal, stopWithin } from '../shared/shutdown.js';
import { withdrawStep } from './stop-steps.js';

/** Where the gateway serves /metrics and /status unless told otherwise. */
export const DEFAULT_GATEWAY_STATUS_LISTEN = '127.0.0.1:9478';

/** The flags addGatewayOptions adds. */
export interface GatewayRenderFlags {
  nginxConfDir?: string;
  file: string;
  upstream: string[];
  route: string[];
  routeListen: string[];
  upstreamOption: string[];
  template?: string;
  nginxResolve?: string;
  nginx: string;
  nginxConf?: string;
  nginxPrefix?: string;
  nginxErrorLog?: string;
  nginxPidFile: string;
  nginxReload: string;
  minWait: string;
  maxWait: string;
}

interface GatewayFlags extends GatewayRenderFlags, EtcdFlags {
  domain?: string;
  hostname?: string;
  leaseTtl?: string;
  metricsListen: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Adds `rundock gateway` to the program; `run` converts errors to exit statuses (as for every command). */
export function registerGateway(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const command = addEtcdOptions(
    program
      .command('gateway')
      .description(
        'render nginx upstreams (and routes) from the registry; nginx -t, then graceful reload; runs in the foreground',
      ),
    'etcd endpoints, comma separated',
  )
    .option('--domain <domain>', 'the domain of the services, e.g. s.prod.example.com')
    .option('--hostname <name>', "this gateway's name in its report of what nginx serves (default: system hostname)")
    .option('--lease-ttl <seconds>', 'the report outlives a gateway that died this long (default 30)')
    .option('--metrics-listen <addr:port>', 'loopback address for /metrics and /status', DEFAULT_GATEWAY_STATUS_LISTEN);
  addGatewayOptions(command).action((flags: GatewayFlags, self: Command) =>
    run(() => runGateway(flags, (key) => self.getOptionValueSource(key), program.opts<GlobalOptions>())),
  );
}

/** The rendering and nginx options, shared by `rundock gateway` and `rundock agent --nginx-conf-dir`. */
export function addGatewayOptions(command: Command): Command {
  return command
    .option('--nginx-conf-dir <dir>', 'directory of the rendered file (include it from nginx http {})')
    .option('--file <name>', 'name of the rendered file in --nginx-conf-dir', 'rundock-upstreams.conf')
    .option(
      '--upstream <service[=name]>',
      'always render SERVICE (placeholder when empty); =NAME renames its upstream (repeatable)',
      collect,
      [],
    )
    .option('--route <hostname=service>', 'render a server for HOSTNAME proxying to SERVICE (repeatable)', collect, [])
    .option('--route-listen <[addr:]port>', 'listen address of route servers (repeatable; default 80)', collect, [])
    .option(
      '--upstream-option <service:key=value>',
      'keepalive, keepalive_timeout, keepalive_requests, max_fails, fail_timeout, balance, hash; service * for all (repeatable)',
      collect,
      [],
    )
    .option('--template <file>', 'render this template instead of the default text (docs/gateway.md)')
    .option(
      '--nginx-resolve <dns-addr>',
      'nginx >= 1.27.3: upstreams follow SRV records from this DNS server, no reloads for instance changes',
    )
    .option('--nginx <bin>', 'nginx binary', '/usr/sbin/nginx')
    .option('--nginx-conf <file>', "main nginx config tested with nginx -t (default: nginx's own)")
    .option('--nginx-prefix <dir>', 'nginx prefix path (-p)')
    .option('--nginx-error-log <file>', 'error log for nginx -t (-e)')
    .option('--nginx-pid-file <file>', 'pid file of the nginx master', '/run/nginx.pid')
    .option('--nginx-reload <how>', 'signal (SIGHUP to the master) or command (nginx -s reload)', 'signal')
    .option('--min-wait <duration>', 'render once changes are quiet this long', '200ms')
    .option('--max-wait <duration>', 'render at the latest this long after the first change', '2s');
}

async function runGateway(given: GatewayFlags, sourceOf: OptionSource, global: GlobalOptions): Promise<number> {
  const config = loadHostConfig(global.config);
  const flags = withConfigSection(given, sourceOf, config.gateway);
  const { options, etcd, host, leaseTtl } = await gatewayOptions(flags, config);
  const statusListen = parseListen('metrics-listen', flags.metricsListen);
  const log = logger('gateway');
  // From here on a signal stops the gateway cleanly, during its start too (the first load is bounded).
  const stopping = stopSignal(log);
  const metricsRegistry = new Registry();
  const { startGateway } = await import('../gateway/gateway.js');
  const reports = await reportWriter(etcd, leaseTtl, log);
  const serving = {
    host,
    publish: (r: ServingReport) => reports.writer.write(new Map([[gatewayKey(host), encodeServingReport(r)]])),
  };
  const gateway = await startGateway({ ...options, metricsRegistry, log, serving });
  const status = await startStatusServer(statusListen, metricsRegistry, () => gateway.status());
  log.info(
    { domain: options.domain, file: options.file, status: `${status.address.address}:${status.address.port}` },
    'gateway started',
  );
  const onHup = (): void => gateway.refresh();
  process.on('SIGHUP', onHup);
  const signal = await stopping;
  log.info({ signal }, 'gateway stopping');
  process.off('SIGHUP', onHup);
  // The report goes first: a redeploy waiting on this gateway must not count it as serving any more.
  reports.writer.stop();
  await stopWithin(
    [
      withdrawStep(reports.registry, leaseTtl, 'report'),
      { name: 'stop the gateway', run: (s) => gateway.stop(s) },
      { name: 'close the registry', run: () => reports.registry.close() },
      { name: 'close the status server', run: () => status.close() },
    ],
    { log },
  );
  return 0;
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

/** Checks every flag (and the config file's domain and etcd) before anything starts. */
async function gatewayOptions(
  flags: GatewayFlags,
  config: HostConfig,
): Promise<{
  options: Omit<GatewayOptions, 'log' | 'metricsRegistry'>;
  etcd: EtcdConnection;
  host: string;
  leaseTtl: number;
}> {
  const domain = flags.domain ?? config.domain;
  if (domain === undefined)
    throw new ValidationError('domain', domain, 'is required (--domain or domain in the config file)');
  const etcd = etcdConnection(flags, config);
  if (etcd === undefined) throw new ValidationError('etcd', etcd, 'is required (--etcd or etcd in the config file)');
  const host = checkLabel('hostname', hostName(flags.hostname ?? config.hostname));
  const leaseTtl = flags.leaseTtl === undefined ? (config.lease_ttl ?? 30) : Number(flags.leaseTtl);
  if (!Number.isInteger(leaseTtl) || leaseTtl < 2)
    throw new ValidationError('lease-ttl', flags.leaseTtl, 'must be a whole number of seconds, at least 2');
  return { options: await gatewayRenderOptions(flags, domain, { etcd }), etcd, host, leaseTtl };
}

/** Checks the rendering and nginx flags; `source` is where the records come from. */
export async function gatewayRenderOptions(
  flags: GatewayRenderFlags,
  domain: string,
  source: GatewaySource,
): Promise<Omit<GatewayOptions, 'log' | 'metricsRegistry'>> {
  if (flags.nginxConfDir === undefined)
    throw new ValidationError('nginx-conf-dir', undefined, 'is required: the directory of the rendered file');
  const reload = flags.nginxReload;
  if (reload !== 'signal' && reload !== 'command')
    throw new ValidationError('nginx-reload', reload, 'must be signal or command');
  if (!/^[A-Za-z0-9_.-]+$/.test(flags.file) || flags.file.startsWith('.'))
    throw new ValidationError('file', flags.file, 'must be a plain file name');
  const { gatewayRenderOptions: renderOptions } = await import('../gateway/options.js');
  const listen = flags.routeListen.length > 0 ? flags.routeListen : undefined;
  const render = renderOptions({
    domain,
    upstreams: flags.upstream,
    routes: flags.route,
    upstreamOptions: flags.upstreamOption,
    listen,
    resolve: flags.nginxResolve,
  });
  const debounce = { minQuietMs: millis('min-wait', flags.minWait), maxWaitMs: millis('max-wait', flags.maxWait) };
  if (debounce.maxWaitMs < debounce.minQuietMs)
    throw new ValidationError('max-wait', flags.maxWait, 'must be at least --min-wait');
  const nginx: NginxOptions = {
    bin: flags.nginx,
    conf: flags.nginxConf,
    prefix: flags.nginxPrefix,
    errorLog: flags.nginxErrorLog,
    pidFile: flags.nginxPidFile,
    reload,
  };
  return {
    domain,
    source,
    file: join(flags.nginxConfDir, flags.file),
    render,
    templateFile: flags.template,
    nginx,
    debounce,
  };
}

function millis(field: string, text: string): number {
  return Math.round(durationNanos(text, field) / 1e6);
}
