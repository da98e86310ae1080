/**
 * The gateway's rendering and nginx options, the same in `rundock gateway` and `rundock agent --nginx-conf-dir`.
 * What ends up in nginx text (upstreams, routes, listen addresses) is checked by gateway/options.ts, its one owner.
 */
import { join } from 'node:path';
import * as z from 'zod/mini';
import type { GatewayOptions } from '../../gateway/gateway.js';
import type { TlsSettings } from '../../gateway/tls-options.js';
import type { DaemonInput } from '../config-flags.js';
import { commanderDefault, flagSwitch, optional, repeatable, shapeOf } from './declare.js';
import { durationMs, parsed, textValue } from './fields.js';

/** The gateway's settings, but for where its records (and ACME state) come from and where its metrics go. */
export type GatewayRenderSettings = Omit<GatewayOptions, 'log' | 'metricsRegistry' | 'feeds' | 'serving' | 'tls'> & {
  readonly tls: TlsSettings;
};

const FILE_NAME = /^[A-Za-z0-9_.-]+$/;

/** The gateway's rendering and nginx options, in --help's order; their defaults are commander's (shown in --help). */
export const GATEWAY_RENDER_OPTIONS = {
  'nginx-conf-dir': optional(textValue, {
    value: '<dir>',
    help: 'directory of the rendered file (include it from nginx http {})',
  }),
  file: commanderDefault(
    parsed(
      (value) => (FILE_NAME.test(String(value)) && !String(value).startsWith('.') ? String(value) : undefined),
      'must be a plain file name',
    ),
    { value: '<name>', help: 'name of the rendered file in --nginx-conf-dir', default: 'rundock-upstreams.conf' },
  ),
  upstream: repeatable({
    value: '<service[=name]>',
    help: 'always render SERVICE (placeholder when empty); =NAME renames its upstream (repeatable)',
  }),
  route: repeatable({
    value: '<hostname[/path]=service>',
    help: "render a server for HOSTNAME (and PATH) proxying to SERVICE; wins over services' own routes (repeatable)",
  }),
  'only-routed': flagSwitch({
    help: 'render only the upstreams of routed services and of --upstream ones (changes of the others reload nothing)',
  }),
  'route-listen': repeatable({
    value: '<[addr:]port>',
    help: 'plain HTTP listen address of route servers (repeatable; default 80)',
  }),
  'https-listen': repeatable({
    value: '<[addr:]port>',
    help: 'HTTPS listen address of route servers with a certificate (repeatable; default 443)',
  }),
  hsts: flagSwitch({ help: 'send Strict-Transport-Security from HTTPS route servers' }),
  certificate: repeatable({
    value: '<cert,key>',
    help: 'serve the names of this certificate (PEM chain and key files) with it, before ACME (repeatable)',
  }),
  'acme-email': optional(textValue, {
    value: '<email>',
    help: 'obtain and renew certificates for routed hostnames by ACME (HTTP-01)',
  }),
  'acme-directory': optional(textValue, { value: '<url>', help: "the ACME CA's directory (default: Let's Encrypt)" }),
  'acme-ca-file': optional(textValue, {
    value: '<file>',
    help: "PEM certificates to trust for the ACME directory's HTTPS (a private CA)",
  }),
  'upstream-option': repeatable({
    value: '<service:key=value>',
    help: 'keepalive, keepalive_timeout, keepalive_requests, max_fails, fail_timeout, balance, hash; service * for all (repeatable)',
  }),
  template: optional(textValue, {
    value: '<file>',
    help: 'render this template instead of the default text (docs/gateway.md)',
  }),
  'nginx-resolve': optional(textValue, {
    value: '<dns-addr>',
    help: 'nginx >= 1.27.3: upstreams follow SRV records from this DNS server, no reloads for instance changes',
  }),
  nginx: commanderDefault(textValue, { value: '<bin>', help: 'nginx binary', default: '/usr/sbin/nginx' }),
  'nginx-conf': optional(textValue, {
    value: '<file>',
    help: "main nginx config tested with nginx -t (default: nginx's own)",
  }),
  'nginx-prefix': optional(textValue, { value: '<dir>', help: 'nginx prefix path (-p)' }),
  'nginx-error-log': optional(textValue, { value: '<file>', help: 'error log for nginx -t (-e)' }),
  'nginx-pid-file': optional(textValue, {
    value: '<file>',
    help: 'pid file of the nginx master (default: the one its configuration names, nginx -T)',
  }),
  'nginx-reload': commanderDefault(
    parsed((value) => (value === 'signal' || value === 'command' ? value : undefined), 'must be signal or command'),
    { value: '<how>', help: 'signal (SIGHUP to the master) or command (nginx -s reload)', default: 'signal' },
  ),
  'min-wait': commanderDefault(durationMs, {
    value: '<duration>',
    help: 'render once changes are quiet this long',
    default: '200ms',
  }),
  'max-wait': commanderDefault(durationMs, {
    value: '<duration>',
    help: 'render at the latest this long after the first change',
    default: '2s',
  }),
};

type GatewayRenderValues = z.output<z.ZodMiniObject<ReturnType<typeof shapeOf<typeof GATEWAY_RENDER_OPTIONS>>>>;

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
    onlyRouted: o['only-routed'],
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
