import type { Command } from 'commander';
import { Agent } from '../agent/agent.js';
import { AgentMetrics } from '../agent/metrics.js';
import { startStatusServer } from '../shared/status-server.js';
import { feedNotReady } from '../registry/feed-readiness.js';
import { EmbeddedRegistry } from '../registry/embedded.js';
import { ProcessFeeds } from '../registry/feeds.js';
import { gatewayKey, GATEWAYS_PREFIX } from '../registry/path.js';
import { decodeServingReport, encodeServingReport, type ServingReport } from '../registry/serving-report.js';
import type { Registry } from '../registry/registry.js';
import { claimsFrom, encodeRouteClaim, ROUTES_PREFIX } from '../registry/routes.js';
import { startDnsService } from '../dns/service.js';
import { configFilePath } from '../shared/config-file.js';
import { loadHostConfig } from '../shared/config.js';
import { logger } from '../shared/log.js';
import type { OptionSource } from './config-flags.js';
import { dockerRuntime, hostContext, type GlobalOptions } from './context.js';
import { addDeclaredOptions } from './daemon-options/declare.js';
import { AGENT_OPTIONS, agentSettings, type AgentSettings } from './daemon-options/agent.js';
import { makeRegistry, selfAnnouncer } from './agent-registry.js';
import { runUntilSignal } from './daemon-run.js';
import { addGatewayOptions, type GatewayRenderFlags } from './gateway.js';
import { addEtcdOptions, warnPlainEtcd, type EtcdFlags } from './etcd-flags.js';
import { lockAgent } from './locks.js';
import { addRateLimitOptions, type RateLimitFlags } from './rate-limit-flags.js';
import { addPublicZoneOptions, type PublicZoneFlags } from './public-zone-flags.js';
import { startPublicZone } from '../dns/public-zone/service.js';
import { agentStopSteps } from './stop-steps.js';
import { withAcmeStore } from './gateway-tls.js';
import { addAgentUiOptions } from './ui.js';

interface AgentFlags extends RateLimitFlags, GatewayRenderFlags, EtcdFlags, PublicZoneFlags {
  domain?: string;
  hostname?: string;
  leaseTtl?: string;
  recordTtl?: string;
  priority?: string;
  weight?: string;
  stableAfter?: string;
  crashLoopRestarts?: string;
  crashLoopWindow?: string;
  withdrawOnExit?: boolean;
  resyncInterval?: string;
  stateDir?: string;
  statusListen?: string;
  keepRecords?: boolean;
  dns?: string;
  forward?: string;
  announceSelf?: string;
  announceSelfCheck?: string;
  ui?: string | boolean;
  uiTokenFile?: string;
}

export function registerAgent(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const command = addEtcdOptions(
    program
      .command('agent')
      .description(
        "announce this host's healthy services into the registry (etcd, or embedded without --etcd); runs in the foreground",
      ),
    'etcd endpoints, comma separated (default: the embedded registry)',
  );
  addDeclaredOptions(command, AGENT_OPTIONS);
  // With --nginx-conf-dir the agent also runs the gateway (as `rundock gateway`), from the same registry.
  addAgentUiOptions(addGatewayOptions(addPublicZoneOptions(addRateLimitOptions(command)))).action(
    (flags: AgentFlags, self: Command) =>
      run(() => runAgent(flags, (key) => self.getOptionValueSource(key), program.opts<GlobalOptions>())),
  );
}

async function runAgent(flags: AgentFlags, sourceOf: OptionSource, global: GlobalOptions): Promise<number> {
  const config = loadHostConfig(global.config);
  const host = hostContext(global);
  const settings = await agentSettings(flags, sourceOf, config, configFilePath(global.config), host);
  const { domain, etcd, leaseTtl } = settings;
  const name = settings.host;
  const log = logger('agent');
  warnPlainEtcd(etcd, log);
  return runUntilSignal('agent', log, async ({ stopping, onHup }) => {
    const docker = dockerRuntime();
    // Before anything listens: a second agent says which one runs, rather than that its address is in use.
    const engine = await lockAgent(docker, lockDetails(settings), log, stopping);
    if (engine === undefined) return { stopSteps: () => [] };
    const metrics = new AgentMetrics();
    const reconnected = { notify: (): void => undefined };
    const registry = await makeRegistry(settings, metrics, () => reconnected.notify());
    const agent = new Agent({
      docker,
      registry,
      keeps: settings.gateway === undefined ? [] : [gatewayKey(name)],
      metrics,
      log,
      resyncMs: settings.resyncMs,
      settings: {
        domain,
        host: name,
        addresses: host.addresses,
        ttl: settings.recordTtl,
        priority: settings.priority,
        weight: settings.weight,
        stableMs: settings.stableMs,
        crashLoop: settings.crashLoop,
        version: host.version,
        startedAt: new Date().toISOString(),
      },
    });
    reconnected.notify = () => agent.registryReconnected();
    const self = selfAnnouncer(settings, host.addresses.public, agent, metrics);
    // One feed per prefix for DNS, gateway and UI together. Inside the agent the feeds retry TLS/auth failures like
    // the registry does: the agent never exits on them.
    const feeds = new ProcessFeeds({
      source:
        registry instanceof EmbeddedRegistry
          ? { embedded: registry }
          : { etcd: etcd ?? { hosts: [] }, retryAccessErrors: true },
      log: logger('feed'),
    });
    const dns =
      settings.dns === undefined
        ? undefined
        : await startDnsService({
            domain,
            listen: settings.dns.listen,
            feeds,
            forward: settings.dns.forward,
            rateLimit: settings.rateLimit,
            defaultTtl: settings.recordTtl,
            metricsRegistry: metrics.registry,
            log: logger('dns'),
          });
    const publicZone =
      settings.dns?.publicZone === undefined
        ? undefined
        : await startPublicZone({
            domain,
            options: settings.dns.publicZone,
            feeds,
            metricsRegistry: metrics.registry,
            log: logger('public-zone'),
          });
    const gateway =
      settings.gateway === undefined
        ? undefined
        : await (
            await import('../gateway/gateway.js')
          ).startGateway({
            ...settings.gateway,
            tls: await withAcmeStore(
              settings.gateway.tls,
              etcd === undefined ? { stateDir: settings.stateDir } : { etcd, feeds, leaseTtl, holder: name },
            ),
            feeds,
            metricsRegistry: metrics.registry,
            log: logger('gateway'),
            serving: { host: name, publish: (report) => agent.publish(gatewayKey(name), encodeServingReport(report)) },
          });
    const ui =
      settings.ui === undefined
        ? undefined
        : await (await import('../ui/ui.js')).startUi({ ...settings.ui, feeds, log: logger('ui') });
    onHup(() => gateway?.refresh());
    const server = await startStatusServer(
      settings.statusListen,
      metrics.registry,
      () => ({
        ...agent.status(),
        self: self?.status(),
        dns: dns === undefined ? undefined : { ...dns.status(), public_zone: publicZone?.status() },
        gateway: gateway?.status(),
        ui: ui?.status(),
        feeds: feeds.status(),
      }),
      { '/gateways': () => gatewayReports(registry), '/routes': () => routeClaims(registry) },
      () => [
        ...agent.notReady(),
        ...[self?.notReady()].filter((r) => r !== undefined),
        ...(dns === undefined ? [] : feedNotReady(dns.status().feed).map((r) => `dns ${r}`)),
        ...[publicZone?.notReady()].filter((r) => r !== undefined),
        ...(gateway?.notReady() ?? []).map((r) => `gateway ${r}`),
      ],
    );
    // The first resync waits on Docker: a signal does not wait for it (the stop aborts Docker's requests).
    self?.start();
    if ((await Promise.race([agent.start(), stopping])) === undefined) {
      const status = `${server.address.address}:${server.address.port}`;
      log.info({ host: name, domain, registry: etcd ? 'etcd' : 'embedded', status }, 'agent started');
    }
    const { withdraw } = settings;
    return {
      stopping: { withdraw },
      stopSteps: () => [
        ...agentStopSteps({
          agent,
          registry,
          withdraw,
          leaseTtl,
          self,
          publicZone,
          gateway,
          dns,
          ui,
          feeds,
          status: server,
        }),
        { name: 'let go of the engine', run: () => engine.release() },
      ],
    };
  });
}

/** What a second agent's refusal names: this one's status address (and DNS address), host name. */
function lockDetails(settings: AgentSettings): Record<string, string> {
  const address = ({ host, port }: { host: string; port: number }): string =>
    `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    status: address(settings.statusListen),
    ...(settings.dns && { dns: address(settings.dns.listen) }),
    host: settings.host,
  };
}

/** Every gateway's report of what its nginx serves (GET /gateways): what a redeploy waits on. */
async function gatewayReports(registry: Registry): Promise<{ gateways: ServingReport[] }> {
  const values = [...(await registry.list(GATEWAYS_PREFIX)).values()];
  return { gateways: values.flatMap((v) => decodeServingReport(v) ?? []) };
}

/** Every service's route record (GET /routes), as the registry holds it: what `enable` checks a new route against. */
async function routeClaims(registry: Registry): Promise<{ routes: unknown[] }> {
  const claims = claimsFrom(await registry.list(ROUTES_PREFIX));
  return { routes: claims.map((claim) => JSON.parse(encodeRouteClaim(claim)) as unknown) };
}
