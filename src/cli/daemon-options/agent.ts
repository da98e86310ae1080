/** `rundock agent`'s options: flags and the config file's top-level keys, checked once before anything starts. */
import * as z from 'zod/mini';
import type { HostContext } from '../../deploy/prepare.js';
import { DEFAULT_DNS_LISTEN } from '../../dns/service.js';
import type { RateLimitOptions } from '../../dns/serve/rate-limit.js';
import type { EtcdConnection } from '../../registry/etcd-connection.js';
import type { HostConfig } from '../../shared/config.js';
import { DEFAULT_LEASE_TTL_SECONDS } from '../../shared/lease-ttl.js';
import type { UiOptions } from '../../ui/options.js';
import { DaemonInput, type OptionSource } from '../config-flags.js';
import { DEFAULT_STATUS_LISTEN } from '../context.js';
import { etcdConnection, type EtcdFlags } from '../etcd-flags.js';
import { AGENT_UI_OPTIONS, agentUiOptions } from '../ui.js';
import {
  domain,
  durationMs,
  forward,
  label,
  leaseTtlSeconds,
  listen,
  parsed,
  textValue,
  ttlSeconds,
  whole,
} from './fields.js';
import { configKeysOf, flagSwitch, optional, required, shapeOf, withDefault } from './declare.js';
import { GATEWAY_RENDER_OPTIONS, gatewayRenderSettings, type GatewayRenderSettings } from './gateway-render.js';
import { parseOptions } from './parse.js';
import { PUBLIC_ZONE_OPTIONS, publicZoneSettings } from './public-zone.js';
import { RATE_LIMIT_OPTIONS } from './rate-limit.js';
import type { PublicZoneOptions } from '../../dns/public-zone/updater.js';

const srvField = whole(0, 65535, 'must be 0..65535');

/** `http://ADDRESS[:PORT][/PATH]`: where the frontend's nginx answers (--announce-self-check). */
const selfCheckUrl = parsed((value) => {
  const url = URL.canParse(String(value)) ? new URL(String(value)) : undefined;
  return url?.protocol === 'http:' && url.hostname !== '' && url.username === '' ? url : undefined;
}, "must be an http:// URL (http://ADDRESS[:PORT][/PATH]) where this frontend's nginx answers");

/** `rundock agent`'s own options, in --help's order (docs/cli.md, "agent"). */
export const AGENT_OPTIONS = {
  domain: required(domain, {
    value: '<domain>',
    help: 'DNS domain of the services, e.g. s.prod.example.com',
    config: 'domain',
  }),
  hostname: optional(textValue, {
    value: '<name>',
    help: "this host's name in records (default: system hostname)",
    config: 'hostname',
    configReadElsewhere: true, // by hostContext, after RUNDOCK_HOSTNAME
  }),
  'lease-ttl': withDefault(leaseTtlSeconds, {
    value: '<seconds>',
    help: 'etcd lease TTL; records vanish this long after the agent dies',
    default: String(DEFAULT_LEASE_TTL_SECONDS),
    config: 'lease_ttl',
  }),
  'record-ttl': withDefault(ttlSeconds, {
    value: '<seconds>',
    help: 'DNS TTL written into records',
    default: '10',
    config: 'record_ttl',
  }),
  priority: optional(srvField, { value: '<n>', help: 'SRV priority written into records', config: 'priority' }),
  weight: optional(srvField, { value: '<n>', help: 'SRV weight written into records', config: 'weight' }),
  'stable-after': withDefault(durationMs, {
    value: '<duration>',
    help: 'uptime that proves a container without health check or probe, and the run a crash must follow to be a single crash',
    default: '10s',
    config: 'stable_after',
  }),
  'crash-loop-restarts': withDefault(whole(1, 1000, 'must be a whole number from 1 to 1000'), {
    value: '<n>',
    help: 'this many restarts within --crash-loop-window are a crash loop',
    default: '3',
    config: 'crash_loop_restarts',
  }),
  'crash-loop-window': withDefault(durationMs, {
    value: '<duration>',
    help: 'the window of --crash-loop-restarts',
    default: '60s',
    config: 'crash_loop_window',
  }),
  'resync-interval': withDefault(durationMs, {
    value: '<duration>',
    help: 'full resync against Docker this often',
    default: '60s',
  }),
  'state-dir': withDefault(textValue, {
    value: '<dir>',
    help: 'where the embedded registry keeps its records',
    default: '/var/lib/rundock',
    config: 'state_dir',
  }),
  'status-listen': withDefault(listen, {
    value: '<addr:port>',
    help: 'loopback address for /status and /metrics',
    default: DEFAULT_STATUS_LISTEN,
    config: 'status_listen',
  }),
  dns: optional(listen, {
    value: '<addr:port>',
    help: `also serve DNS for the domain here (e.g. ${DEFAULT_DNS_LISTEN}), from etcd or the embedded registry`,
  }),
  forward: optional(forward, {
    value: '<ip:port>',
    help: 'with --dns: forward names outside the domain to this resolver (default: refuse them)',
  }),
  'announce-self': optional(label('announce-self'), {
    value: '<name>',
    help: "announce this host's public address as <name>.<domain> (frontend failover)",
    config: 'announce_self',
  }),
  'announce-self-check': optional(selfCheckUrl, {
    value: '<url>',
    help: "with --announce-self: this frontend's nginx (http://ADDRESS[:PORT][/PATH]); withdrawn while it does not answer",
    config: 'announce_self_check',
  }),
  'withdraw-on-exit': flagSwitch({
    help: 'on SIGTERM or SIGINT withdraw every record of this host (default: leave them for the next agent to take over)',
    config: 'withdraw_on_exit',
  }),
  'keep-records': flagSwitch({
    help: 'leave the records on exit (the default; wins over withdraw_on_exit in the config file)',
  }),
};

const agentSchema = z.object({
  ...shapeOf(AGENT_OPTIONS),
  ...shapeOf(RATE_LIMIT_OPTIONS),
  ...shapeOf(GATEWAY_RENDER_OPTIONS),
  ...shapeOf(PUBLIC_ZONE_OPTIONS),
  ...shapeOf(AGENT_UI_OPTIONS), // checked by agentUiOptions
});

/** Everything `rundock agent` runs with, checked and frozen. */
export interface AgentSettings {
  readonly domain: string;
  /** This host's name in records. */
  readonly host: string;
  /** The etcd registry's connection; undefined: the embedded registry in `stateDir`. */
  readonly etcd: EtcdConnection | undefined;
  readonly stateDir: string;
  readonly leaseTtl: number;
  readonly recordTtl: number;
  readonly priority: number | undefined;
  readonly weight: number | undefined;
  readonly stableMs: number;
  /** A crash loop: this many restarts within this window (agent/crash-loop.ts). */
  readonly crashLoop: { readonly restarts: number; readonly windowMs: number };
  readonly resyncMs: number;
  readonly statusListen: { readonly host: string; readonly port: number };
  /**
   * On SIGTERM or SIGINT, withdraw every record (the host is retired); by default they stay for the next agent to take
   * over (or expire with the lease).
   */
  readonly withdraw: boolean;
  readonly announceSelf: string | undefined;
  /** With announceSelf: the frontend's nginx, checked every 500 ms (the record is withdrawn while it fails). */
  readonly announceSelfCheck: URL | undefined;
  /** With --dns: where to serve DNS, the resolver for other names, and the public zone kept (--public-name). */
  readonly dns:
    | {
        readonly listen: { host: string; port: number };
        readonly forward: string | undefined;
        readonly publicZone: PublicZoneOptions | undefined;
      }
    | undefined;
  readonly rateLimit: RateLimitOptions;
  /** With --nginx-conf-dir: the gateway's settings (its records come from the agent's registry). */
  readonly gateway: GatewayRenderSettings | undefined;
  readonly ui: UiOptions | undefined;
}

/** `rundock agent`'s settings; throws a ValidationError naming every bad flag or config key (exit status 2). */
export async function agentSettings(
  flags: EtcdFlags & { ui?: string | boolean; uiTokenFile?: string },
  sourceOf: OptionSource,
  config: HostConfig,
  file: string,
  host: HostContext,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgentSettings> {
  const input = DaemonInput.of(flags, sourceOf, {
    file,
    topLevel: configKeysOf({ ...AGENT_OPTIONS, ...PUBLIC_ZONE_OPTIONS }, config),
  });
  const o = parseOptions(agentSchema, input);
  const announceSelf = o['announce-self'];
  if (announceSelf !== undefined && host.addresses.public === undefined)
    throw input.error('announce-self', announceSelf, "needs this host's public address; set --public-ip");
  if (o['keep-records'] === true && o['withdraw-on-exit'] === true && !input.fromConfig('withdraw-on-exit'))
    throw input.error('keep-records', true, 'contradicts withdraw-on-exit: leave out one of them');
  const announceSelfCheck = o['announce-self-check'];
  if (announceSelfCheck !== undefined && announceSelf === undefined)
    throw input.error('announce-self-check', announceSelfCheck.href, 'needs --announce-self (the name it keeps)');
  const ui = agentUiOptions(flags, o.domain);
  const publicZone = o.dns === undefined ? undefined : publicZoneSettings(o, input);
  if (o.dns === undefined && (o['public-name'] ?? []).length > 0 && !input.fromConfig('public-name'))
    throw input.error(
      'public-name',
      o['public-name'],
      'needs --dns (the agent updates the public zone from its DNS server)',
    );
  return Object.freeze({
    domain: o.domain,
    host: o.hostname ?? host.name,
    etcd: etcdConnection(flags, config, env),
    stateDir: o['state-dir'],
    leaseTtl: o['lease-ttl'],
    recordTtl: o['record-ttl'],
    priority: o.priority,
    weight: o.weight,
    stableMs: o['stable-after'],
    crashLoop: Object.freeze({ restarts: o['crash-loop-restarts'], windowMs: o['crash-loop-window'] }),
    resyncMs: o['resync-interval'],
    statusListen: o['status-listen'],
    withdraw: o['withdraw-on-exit'] === true && o['keep-records'] !== true,
    announceSelf,
    announceSelfCheck,
    dns: o.dns === undefined ? undefined : Object.freeze({ listen: o.dns, forward: o.forward, publicZone }),
    rateLimit: Object.freeze({ perSecond: o['dns-rate-limit'], exempt: o['dns-rate-limit-exempt'] }),
    gateway: await gatewayRenderSettings(o, o.domain, input),
    ui,
  });
}
