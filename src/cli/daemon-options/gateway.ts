/**
 * `rundock gateway`'s options: flags, the config file's `gateway:` section and its `domain`, `hostname`,
 * `lease_ttl` and etcd keys, checked once.
 */
import * as z from 'zod/mini';
import type { EtcdConnection } from '../../registry/etcd-connection.js';
import { checkLabel } from '../../registry/path.js';
import { hostName } from '../../runtime/host.js';
import type { HostConfig } from '../../shared/config.js';
import { ValidationError } from '../../shared/errors.js';
import { DEFAULT_LEASE_TTL_SECONDS } from '../../shared/lease-ttl.js';
import { DaemonInput, type OptionSource } from '../config-flags.js';
import { statusListenHelp } from '../listen.js';
import { etcdConnection, type EtcdFlags } from '../etcd-flags.js';
import { domain, leaseTtlSeconds, listen, parsed } from './fields.js';
import { configKeysOf, optional, required, shapeOf, withDefault } from './declare.js';
import { GATEWAY_RENDER_OPTIONS, gatewayRenderSettings, type GatewayRenderSettings } from './gateway-render.js';
import { parseOptions } from './parse.js';

/** Where the gateway serves /metrics and /status unless told otherwise. */
export const DEFAULT_GATEWAY_STATUS_LISTEN = '127.0.0.1:9478';

/** The name in the gateway's report: the flag's or config's (lowercased, as the system's), a DNS label. */
const reportHost = parsed((value) => checkLabel('hostname', hostName(String(value))), 'must be a DNS label');

/** `rundock gateway`'s own options, in --help's order (docs/gateway.md); the rest are GATEWAY_RENDER_OPTIONS. */
export const GATEWAY_OPTIONS = {
  domain: required(domain, {
    value: '<domain>',
    help: 'the domain of the services, e.g. s.prod.example.com',
    config: 'domain',
  }),
  hostname: optional(reportHost, {
    value: '<name>',
    help: "this gateway's name in its report of what nginx serves (default: system hostname)",
    config: 'hostname',
  }),
  'lease-ttl': withDefault(leaseTtlSeconds, {
    value: '<seconds>',
    help: 'the report outlives a gateway that died this long',
    default: String(DEFAULT_LEASE_TTL_SECONDS),
    config: 'lease_ttl',
  }),
  'status-listen': optional(listen, {
    value: '<addr:port>',
    help: statusListenHelp(DEFAULT_GATEWAY_STATUS_LISTEN)[0],
  }),
  'metrics-listen': optional(listen, {
    value: '<addr:port>',
    help: statusListenHelp(DEFAULT_GATEWAY_STATUS_LISTEN)[1],
  }),
};

const gatewaySchema = z.object({
  ...shapeOf(GATEWAY_OPTIONS),
  ...shapeOf(GATEWAY_RENDER_OPTIONS),
  // Required here: the gateway is nothing else (the agent runs one only with it).
  'nginx-conf-dir': parsed(
    (value) => (typeof value === 'string' ? value : undefined),
    'must be a directory',
    'is required: the directory of the rendered file',
  ),
});

/** Everything `rundock gateway` runs with, checked and frozen. */
export interface GatewaySettings {
  readonly gateway: GatewayRenderSettings;
  readonly etcd: EtcdConnection;
  /** This gateway's name in its report of what nginx serves. */
  readonly host: string;
  /** The report's lease: it outlives a gateway that died this long. */
  readonly leaseTtl: number;
  readonly statusListen: { readonly host: string; readonly port: number };
}

/** `rundock gateway`'s settings; throws a ValidationError naming every bad flag or config key (exit status 2). */
export async function gatewaySettings(
  flags: EtcdFlags,
  sourceOf: OptionSource,
  config: HostConfig,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatewaySettings> {
  const input = DaemonInput.of(flags, sourceOf, {
    file,
    section: { name: 'gateway', values: config.gateway },
    topLevel: configKeysOf(GATEWAY_OPTIONS, config),
  });
  const o = parseOptions(gatewaySchema, input);
  const etcd = etcdConnection(flags, config, env, { name: 'gateway', values: config.gateway });
  if (etcd === undefined) throw new ValidationError('etcd', etcd, 'is required (--etcd or etcd in the config file)');
  const gateway = await gatewayRenderSettings(o, o.domain, input);
  if (gateway === undefined) throw new Error('nginx-conf-dir is required by the schema');
  return Object.freeze({
    gateway,
    etcd,
    host: o.hostname ?? checkLabel('hostname', hostName()),
    leaseTtl: o['lease-ttl'],
    // --metrics-listen is --status-listen's older name.
    statusListen: o['status-listen'] ?? o['metrics-listen'] ?? listen.parse(DEFAULT_GATEWAY_STATUS_LISTEN),
  });
}
