import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { startStatusServer } from '../shared/status-server.js';
import { startDnsService } from '../dns/service.js';
import { configFilePath } from '../shared/config-file.js';
import { loadHostConfig } from '../shared/config.js';
import { logger } from '../shared/log.js';
import type { GlobalOptions } from './context.js';
import type { OptionSource } from './config-flags.js';
import { runUntilSignal } from './daemon-run.js';
import { addDeclaredOptions } from './daemon-options/declare.js';
import { DNS_OPTIONS, dnsSettings } from './daemon-options/dns.js';
import { addEtcdOptions, warnPlainEtcd, type EtcdFlags } from './etcd-flags.js';
import { feedNotReady } from '../registry/feed-readiness.js';
import { ProcessFeeds } from '../registry/feeds.js';
import { startPublicZone } from '../dns/public-zone/service.js';
import { addRateLimitOptions, type RateLimitFlags } from './rate-limit-flags.js';
import { addPublicZoneOptions, type PublicZoneFlags } from './public-zone-flags.js';

interface DnsFlags extends RateLimitFlags, EtcdFlags, PublicZoneFlags {
  domain?: string;
  listen?: string;
  forward?: string;
  defaultTtl?: string;
  metricsListen?: string;
  statusListen?: string;
  workers?: string;
}

export function registerDns(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const command = addEtcdOptions(
    program
      .command('dns')
      .description(
        'serve DNS (A, AAAA, SRV, TXT, SOA, NS) for the domain from etcd, SkyDNS-compatible; runs in the foreground',
      ),
    'etcd endpoints, comma separated',
  );
  addDeclaredOptions(command, DNS_OPTIONS);
  addPublicZoneOptions(addRateLimitOptions(command)).action((flags: DnsFlags, self: Command) =>
    run(() => runDns(flags, (key) => self.getOptionValueSource(key), program.opts<GlobalOptions>())),
  );
}

async function runDns(given: DnsFlags, sourceOf: OptionSource, global: GlobalOptions): Promise<number> {
  // A worker forked by `--workers N` (it re-runs this command line): it serves what the primary resolved.
  const worker = await import('../dns/workers/worker.js');
  if (worker.isDnsWorker()) return worker.runDnsWorker(logger('dns'));
  const settings = dnsSettings(given, sourceOf, loadHostConfig(global.config), configFilePath(global.config));
  const { domain, etcd, listen, forward, defaultTtl, rateLimit } = settings;
  const log = logger('dns');
  warnPlainEtcd(etcd, log);
  if (settings.workers > 1) {
    // Refuse now, with the reason, what every worker would otherwise fail on (wrong CA, expired cert, bad password).
    const { checkEtcdAccess } = await import('../registry/etcd-check.js');
    const { domainPrefix } = await import('../registry/path.js');
    await checkEtcdAccess(etcd, domainPrefix(domain));
    const workers = await import('../dns/workers/workers.js');
    return workers.runDnsCluster({
      settings: { domain, etcd, listen, forward, defaultTtl, rateLimit },
      workers: settings.workers,
      statusListen: settings.statusListen,
      log,
    });
  }
  // A signal during the start stops the server cleanly too (the first load is bounded).
  return runUntilSignal('dns', log, async () => {
    const metricsRegistry = new Registry();
    const feeds = new ProcessFeeds({ source: { etcd }, log });
    const dns = await startDnsService({
      domain,
      listen,
      feeds,
      forward,
      defaultTtl,
      rateLimit,
      metricsRegistry,
      log,
    }).catch(async (error: unknown) => {
      await feeds.stop();
      throw error;
    });
    const publicZone =
      settings.publicZone === undefined
        ? undefined
        : await startPublicZone({
            domain,
            options: settings.publicZone,
            feeds,
            metricsRegistry,
            log: logger('public-zone'),
          });
    const status = await startStatusServer(
      settings.statusListen,
      metricsRegistry,
      () => ({ ...dns.status(), public_zone: publicZone?.status() }),
      {},
      () => [...feedNotReady(dns.status().feed), ...[publicZone?.notReady()].filter((r) => r !== undefined)],
    ).catch(async (error: unknown) => {
      publicZone?.stop();
      await dns.stop();
      await feeds.stop();
      throw error;
    });
    const address = dns.server.udpAddress;
    log.info({ domain, listen: `${address.address}:${address.port}`, forward: forward ?? null }, 'dns serving');
    return {
      stopSteps: () => [
        { name: 'stop updating the public zone', run: async () => publicZone?.stop() },
        { name: 'stop the DNS server', run: () => dns.stop() },
        { name: 'stop the record feed', run: () => feeds.stop() },
        { name: 'close the status server', run: () => status.close() },
      ],
    };
  });
}
