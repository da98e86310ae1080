/** `rundock agent`'s options: flags and the config file's top-level keys, checked once before anything starts. */
import * as z from 'zod/mini';
import type { HostContext } from '../../deploy/prepare.js';
import type { RateLimitOptions } from '../../dns/serve/rate-limit.js';
import type { EtcdConnection } from '../../registry/etcd-connection.js';
import type { HostConfig } from '../../shared/config.js';
import { DEFAULT_LEASE_TTL_SECONDS } from '../../shared/lease-ttl.js';
import type { UiOptions } from '../../ui/options.js';
import { DaemonInput, type OptionSource } from '../config-flags.js';
import { DEFAULT_STATUS_LISTEN } from '../context.js';
import { etcdConnection, type EtcdFlags } from '../etcd-flags.js';
import { agentUiOptions } from '../ui.js';
import {
  domain,
  durationMs,
  forward,
  label,
  leaseTtlSeconds,
  listen,
  parsed,
  rateLimitShape,
  textValue,
  ttlSeconds,
  whole,
} from './fields.js';
import { gatewayRenderSettings, gatewayRenderShape, type GatewayRenderSettings } from './gateway-render.js';
import { parseOptions } from './parse.js';
import { publicZoneSettings, publicZoneShape } from './public-zone.js';
import type { PublicZoneOptions } from '../../dns/public-zone/updater.js';

const srvField = whole(0, 65535, 'must be 0..65535');

/** `http://ADDRESS[:PORT][/PATH]`: where the frontend's nginx answers (--announce-self-check). */
const selfCheckUrl = parsed((value) => {
  const url = URL.canParse(String(value)) ? new URL(String(value)) : undefined;
  return url?.protocol === 'http:' && url.hostname !== '' && url.username === '' ? url : undefined;
}, "must be an http:// URL (http://ADDRESS[:PORT][/PATH]) where this frontend's nginx answers");

const agentSchema = z.object({
  domain,
  hostname: z.optional(textValue),
  'lease-ttl': z.prefault(leaseTtlSeconds, String(DEFAULT_LEASE_TTL_SECONDS)),
  'record-ttl': z.prefault(ttlSeconds, '10'),
  priority: z.optional(srvField),
  weight: z.optional(srvField),
  'stable-after': z.prefault(durationMs, '10s'),
  'crash-loop-restarts': z.prefault(whole(1, 1000, 'must be a whole number from 1 to 1000'), '3'),
  'crash-loop-window': z.prefault(durationMs, '60s'),
  'resync-interval': z.prefault(durationMs, '60s'),
  'state-dir': z.prefault(textValue, '/var/lib/rundock'),
  'status-listen': z.prefault(listen, DEFAULT_STATUS_LISTEN),
  'withdraw-on-exit': z.optional(z.boolean()),
  'keep-records': z.optional(z.boolean()),
  dns: z.optional(listen),
  forward: z.optional(forward),
  'announce-self': z.optional(label('announce-self')),
  'announce-self-check': z.optional(selfCheckUrl),
  ...rateLimitShape,
  ...gatewayRenderShape,
  ...publicZoneShape,
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
  const top = (flag: string, key: keyof HostConfig): [string, readonly [string, unknown]] => [flag, [key, config[key]]];
  const input = DaemonInput.of(flags, sourceOf, {
    file,
    topLevel: Object.fromEntries([
      top('domain', 'domain'),
      top('lease-ttl', 'lease_ttl'),
      top('record-ttl', 'record_ttl'),
      top('priority', 'priority'),
      top('weight', 'weight'),
      top('stable-after', 'stable_after'),
      top('crash-loop-restarts', 'crash_loop_restarts'),
      top('crash-loop-window', 'crash_loop_window'),
      top('withdraw-on-exit', 'withdraw_on_exit'),
      top('state-dir', 'state_dir'),
      top('status-listen', 'status_listen'),
      top('announce-self', 'announce_self'),
      top('announce-self-check', 'announce_self_check'),
      // The public zone's keys live in the dns: section, shared with `rundock dns`.
      ['public-name', ['dns.public_name', config.dns?.public_name]],
      ['update-server', ['dns.update_server', config.dns?.update_server]],
      ['tsig-key-file', ['dns.tsig_key_file', config.dns?.tsig_key_file]],
      ['public-ttl', ['dns.public_ttl', config.dns?.public_ttl]],
    ]),
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
