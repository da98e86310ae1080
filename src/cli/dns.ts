import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { startStatusServer } from '../shared/status-server.js';
import { DEFAULT_DNS_LISTEN, startDnsService } from '../dns/service.js';
import { loadHostConfig } from '../shared/config.js';
import { ValidationError } from '../shared/errors.js';
import { logger } from '../shared/log.js';
import { stopSignal, stopWithin } from '../shared/shutdown.js';
import type { GlobalOptions } from './context.js';
import { withConfigSection, type OptionSource } from './config-flags.js';
import { addEtcdOptions, etcdConnection, type EtcdFlags } from './etcd-flags.js';
import { parseListen } from './listen.js';
import { addRateLimitOptions, rateLimitFrom, type RateLimitFlags } from './rate-limit-flags.js';

interface DnsFlags extends RateLimitFlags, EtcdFlags {
  domain?: string;
  listen?: string;
  forward?: string;
  defaultTtl?: string;
  metricsListen?: string;
  workers?: string;
}

/** Most worker processes --workers accepts: each holds a copy of the zone. */
const MAX_WORKERS = 128;

export function registerDns(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const command = addEtcdOptions(
    program
      .command('dns')
      .description(
        'serve DNS (A, AAAA, SRV, TXT, SOA, NS) for the domain from etcd, SkyDNS-compatible; runs in the foreground',
      ),
    'etcd endpoints, comma separated',
  )
    .option('--domain <domain>', 'the zone served, e.g. s.prod.example.com')
    .option('--listen <addr:port>', `UDP and TCP address (default ${DEFAULT_DNS_LISTEN})`)
    .option('--forward <ip:port>', 'forward names outside the zone to this resolver (default: refuse them)')
    .option('--default-ttl <seconds>', 'TTL of records without their own (default 30)')
    .option('--metrics-listen <addr:port>', 'loopback address for /metrics and /status (default 127.0.0.1:9477)')
    .option(
      '--workers <n>',
      "processes answering queries, each with its own copy of the zone and Node's UDP sockets (default 1: one process, batched UDP)",
    );
  addRateLimitOptions(command).action((flags: DnsFlags, self: Command) =>
    run(() => runDns(flags, (key) => self.getOptionValueSource(key), program.opts<GlobalOptions>())),
  );
}

async function runDns(given: DnsFlags, sourceOf: OptionSource, global: GlobalOptions): Promise<number> {
  // A worker forked by `--workers N` (it re-runs this command line): it serves what the primary resolved.
  const worker = await import('../dns/worker.js');
  if (worker.isDnsWorker()) return worker.runDnsWorker(logger('dns'));
  const config = loadHostConfig(global.config);
  const flags = withConfigSection(given, sourceOf, config.dns);
  const domain = flags.domain ?? config.domain;
  if (domain === undefined)
    throw new ValidationError('domain', domain, 'is required (--domain or domain in the config file)');
  const etcd = etcdConnection(flags, config);
  if (etcd === undefined)
    throw new ValidationError(
      'etcd',
      etcd,
      'is required; on a single machine run `rundock agent --dns ADDR:PORT` instead',
    );
  const defaultTtl = Number(flags.defaultTtl ?? 30);
  if (!Number.isInteger(defaultTtl) || defaultTtl < 0)
    throw new ValidationError('default-ttl', flags.defaultTtl, 'must be a whole number of seconds');
  const workerCount = Number(flags.workers ?? 1);
  if (!Number.isInteger(workerCount) || workerCount < 1 || workerCount > MAX_WORKERS) {
    throw new ValidationError('workers', flags.workers, `must be a whole number from 1 to ${MAX_WORKERS}`);
  }
  const rateLimit = rateLimitFrom(flags);
  const log = logger('dns');
  const listen = parseListen('listen', flags.listen ?? DEFAULT_DNS_LISTEN);
  const statusListen = parseListen('metrics-listen', flags.metricsListen ?? '127.0.0.1:9477');
  if (workerCount > 1) {
    // Refuse now, with the reason, what every worker would otherwise fail on (wrong CA, expired cert, bad password).
    const { checkEtcdAccess } = await import('../registry/etcd-check.js');
    const { domainPrefix } = await import('../registry/path.js');
    await checkEtcdAccess(etcd, domainPrefix(domain));
    const workers = await import('../dns/workers.js');
    return workers.runDnsCluster({
      settings: { domain, etcd, listen, forward: flags.forward, defaultTtl, rateLimit },
      workers: workerCount,
      statusListen,
      log,
    });
  }
  const metricsRegistry = new Registry();
  // From here on a signal stops the server cleanly, during its start too (the first load is bounded).
  const stopping = stopSignal(log);
  const dns = await startDnsService({
    domain,
    listen,
    source: { etcd },
    forward: flags.forward,
    defaultTtl,
    rateLimit,
    metricsRegistry,
    log,
  });
  const status = await startStatusServer(statusListen, metricsRegistry, () => dns.status()).catch(
    async (error: unknown) => {
      await dns.stop();
      throw error;
    },
  );
  log.info(
    {
      domain,
      listen: `${dns.server.udpAddress.address}:${dns.server.udpAddress.port}`,
      forward: flags.forward ?? null,
    },
    'dns serving',
  );
  const signal = await stopping;
  log.info({ signal }, 'dns stopping');
  const steps = [
    { name: 'stop the DNS server', run: () => dns.stop() },
    { name: 'close the status server', run: () => status.close() },
  ];
  await stopWithin(steps, { log });
  return 0;
}
