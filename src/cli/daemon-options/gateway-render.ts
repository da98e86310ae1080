/**
 * The gateway's rendering and nginx options, the same in `rundock gateway` and `rundock agent --nginx-conf-dir`.
 * What ends up in nginx text (upstreams, routes, listen addresses) is checked by gateway/options.ts, its one owner.
 */
import { join } from 'node:path';
import * as z from 'zod/mini';
import type { GatewayOptions } from '../../gateway/gateway.js';
import type { TlsSettings } from '../../gateway/tls-options.js';
import type { DaemonInput } from '../config-flags.js';
import { durationMs, list, parsed, textValue } from './fields.js';

/** The gateway's settings, but for where its records (and ACME state) come from and where its metrics go. */
export type GatewayRenderSettings = Omit<GatewayOptions, 'log' | 'metricsRegistry' | 'feeds' | 'serving' | 'tls'> & {
  readonly tls: TlsSettings;
};

const FILE_NAME = /^[A-Za-z0-9_.-]+$/;

/** The flags of addGatewayOptions; their defaults are commander's (they show in --help). */
export const gatewayRenderShape = {
  'nginx-conf-dir': z.optional(textValue),
  file: parsed(
    (value) => (FILE_NAME.test(String(value)) && !String(value).startsWith('.') ? String(value) : undefined),
    'must be a plain file name',
  ),
  upstream: list,
  route: list,
  'route-listen': list,
  'https-listen': list,
  hsts: z.optional(z.boolean()),
  certificate: list,
  'acme-email': z.optional(textValue),
  'acme-directory': z.optional(textValue),
  'acme-ca-file': z.optional(textValue),
  'upstream-option': list,
  template: z.optional(textValue),
  'nginx-resolve': z.optional(textValue),
  nginx: textValue,
  'nginx-conf': z.optional(textValue),
  'nginx-prefix': z.optional(textValue),
  'nginx-error-log': z.optional(textValue),
  'nginx-pid-file': z.optional(textValue),
  'nginx-reload': parsed(
    (value) => (value === 'signal' || value === 'command' ? value : undefined),
    'must be signal or command',
  ),
  'min-wait': durationMs,
  'max-wait': durationMs,
};

type GatewayRenderValues = z.output<z.ZodMiniObject<typeof gatewayRenderShape>>;

/**
 * The gateway's settings from the checked options; undefined without --nginx-conf-dir (only the agent allows
 * that). The render options load on demand: only a process that renders needs them.
 */
export async function gatewayRenderSettings(
  o: GatewayRenderValues,
  domain: string,
  input: DaemonInput,
): Promise<GatewayRenderSettings | undefined> {
  const dir = o['nginx-conf-dir'];
  if (dir === undefined) return undefined;
  if (o['max-wait'] < o['min-wait'])
    throw input.error('max-wait', input.values['max-wait'], 'must be at least --min-wait');
  const { gatewayRenderOptions } = await import('../../gateway/options.js');
  const { gatewayTlsSettings } = await import('../../gateway/tls-options.js');
  const render = gatewayRenderOptions({
    domain,
    upstreams: o.upstream,
    routes: o.route,
    upstreamOptions: o['upstream-option'],
    listen: o['route-listen'].length > 0 ? o['route-listen'] : undefined,
    httpsListen: o['https-listen'].length > 0 ? o['https-listen'] : undefined,
    hsts: o.hsts,
    resolve: o['nginx-resolve'],
  });
  const tls = gatewayTlsSettings({
    confDir: dir,
    certificates: o.certificate,
    acmeEmail: o['acme-email'],
    acmeDirectory: o['acme-directory'],
    acmeCaFile: o['acme-ca-file'],
  });
  return Object.freeze({
    domain,
    file: join(dir, o.file),
    render,
    templateFile: o.template,
    nginx: Object.freeze({
      bin: o.nginx,
      conf: o['nginx-conf'],
      prefix: o['nginx-prefix'],
      errorLog: o['nginx-error-log'],
      pidFile: o['nginx-pid-file'],
      reload: o['nginx-reload'],
    }),
    debounce: Object.freeze({ minQuietMs: o['min-wait'], maxWaitMs: o['max-wait'] }),
    tls,
  });
}
