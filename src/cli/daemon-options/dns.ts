/** `rundock dns`'s options: flags, the config file's `dns:` section and its `domain` and etcd keys, checked once. */
import * as z from 'zod/mini';
import { DEFAULT_DNS_LISTEN } from '../../dns/service.js';
import type { RateLimitOptions } from '../../dns/serve/rate-limit.js';
import type { EtcdConnection } from '../../registry/etcd-connection.js';
import type { HostConfig } from '../../shared/config.js';
import { ValidationError } from '../../shared/errors.js';
import { DaemonInput, type OptionSource } from '../config-flags.js';
import { etcdConnection, type EtcdFlags } from '../etcd-flags.js';
import { statusListenHelp } from '../listen.js';
import { configKeysOf, optional, required, shapeOf, withDefault } from './declare.js';
import { domain, forward, listen, ttlSeconds, whole } from './fields.js';
import { parseOptions } from './parse.js';
import { PUBLIC_ZONE_OPTIONS, publicZoneSettings } from './public-zone.js';
import { RATE_LIMIT_OPTIONS } from './rate-limit.js';
import type { PublicZoneOptions } from '../../dns/public-zone/updater.js';

/** Where `rundock dns` serves /metrics, /status, /healthz and /readyz unless told otherwise. */
export const DEFAULT_DNS_STATUS_LISTEN = '127.0.0.1:9477';
/** Most worker processes --workers accepts: each holds a copy of the zone. */
export const MAX_WORKERS = 128;

/** `rundock dns`'s own options, in --help's order (docs/cli.md, "dns"); each is a key of the `dns:` section too. */
export const DNS_OPTIONS = {
  domain: required(domain, { value: '<domain>', help: 'the zone served, e.g. s.prod.example.com', config: 'domain' }),
  listen: withDefault(listen, { value: '<addr:port>', help: 'UDP and TCP address', default: DEFAULT_DNS_LISTEN }),
  forward: optional(forward, {
    value: '<ip:port>',
    help: 'forward names outside the zone to this resolver (default: refuse them)',
  }),
  'default-ttl': withDefault(ttlSeconds, {
    value: '<seconds>',
    help: 'TTL of records without their own',
    default: '30',
  }),
  'status-listen': optional(listen, { value: '<addr:port>', help: statusListenHelp(DEFAULT_DNS_STATUS_LISTEN)[0] }),
  'metrics-listen': optional(listen, { value: '<addr:port>', help: statusListenHelp(DEFAULT_DNS_STATUS_LISTEN)[1] }),
  workers: withDefault(whole(1, MAX_WORKERS, `must be a whole number from 1 to ${MAX_WORKERS}`), {
    value: '<n>',
    help: "processes answering queries, each with its own copy of the zone and Node's UDP sockets",
    default: '1',
    defaultNote: '1: one process, batched UDP',
  }),
};

const dnsSchema = z.object({
  ...shapeOf(DNS_OPTIONS),
  ...shapeOf(RATE_LIMIT_OPTIONS),
  ...shapeOf(PUBLIC_ZONE_OPTIONS),
});

/** Everything `rundock dns` runs with, checked and frozen. */
export interface DnsSettings {
  readonly domain: string;
  readonly etcd: EtcdConnection;
  readonly listen: { readonly host: string; readonly port: number };
  readonly statusListen: { readonly host: string; readonly port: number };
  readonly forward: string | undefined;
  readonly defaultTtl: number;
  readonly workers: number;
  readonly rateLimit: RateLimitOptions;
  /** With --public-name: the public names kept at the public zone's primary. */
  readonly publicZone: PublicZoneOptions | undefined;
}

/** `rundock dns`'s settings; throws a ValidationError naming every bad flag or config key (exit status 2). */
export function dnsSettings(
  flags: EtcdFlags,
  sourceOf: OptionSource,
  config: HostConfig,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): DnsSettings {
  const input = DaemonInput.of(flags, sourceOf, {
    file,
    section: { name: 'dns', values: config.dns },
    topLevel: configKeysOf(DNS_OPTIONS, config),
  });
  const o = parseOptions(dnsSchema, input);
  const etcd = etcdConnection(flags, config, env, { name: 'dns', values: config.dns });
  if (etcd === undefined)
    throw new ValidationError(
      'etcd',
      etcd,
      'is required; on a single machine run `rundock agent --dns ADDR:PORT` instead',
    );
  return Object.freeze({
    domain: o.domain,
    etcd,
    listen: o.listen,
    // --metrics-listen is --status-listen's older name.
    statusListen: o['status-listen'] ?? o['metrics-listen'] ?? listen.parse(DEFAULT_DNS_STATUS_LISTEN),
    forward: o.forward,
    defaultTtl: o['default-ttl'],
    workers: o.workers,
    rateLimit: Object.freeze({ perSecond: o['dns-rate-limit'], exempt: o['dns-rate-limit-exempt'] }),
    publicZone: publicZoneIn(o, input),
  });
}

/** The public zone's settings; its updater runs in one process, so not with --workers above 1. */
function publicZoneIn(o: z.output<typeof dnsSchema>, input: DaemonInput): PublicZoneOptions | undefined {
  const publicZone = publicZoneSettings(o, input);
  if (publicZone !== undefined && o.workers > 1)
    throw input.error('workers', o.workers, 'must be 1 with --public-name (the updater runs in one process)');
  return publicZone;
}
