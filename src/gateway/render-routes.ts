/**
 * The route servers: for each hostname a plain HTTP `server` and, when the hostname has a usable certificate, an
 * HTTPS one; one `location` per path (nginx picks the longest matching prefix); and on every listen address a default
 * server, so a Host no route names gets 404 over HTTP and no handshake over HTTPS (`ssl_reject_handshake`, never
 * another app's certificate). A hostname without a certificate is served over plain HTTP alone and never named on
 * an HTTPS listener, so it cannot fail `nginx -t` for the others. Pure.
 */
import { block } from './directives.js';
import type { RenderOptions } from './options.js';
import type { HostRoutes, RoutePath, RouteTable } from './route-table.js';

/** The certificate and key files a hostname is served with over HTTPS. */
export interface ServedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

/** What the route servers are rendered from, besides the options. */
export interface RouteServers {
  readonly table: RouteTable;
  /** By hostname: only hostnames with a usable certificate are served over HTTPS. */
  readonly certificates: ReadonlyMap<string, ServedCertificate>;
  /** Whether this gateway serves HTTPS at all (ACME, or certificates brought): the HTTPS default servers. */
  readonly https: boolean;
  /** The loopback port of the gateway's HTTP-01 challenge listener (with ACME): `/.well-known/acme-challenge/`. */
  readonly challengePort?: number | undefined;
}

/** The path every HTTP-01 challenge is fetched from (RFC 8555, 8.3). */
export const CHALLENGE_PATH = '/.well-known/acme-challenge/';

/** Every route server, default servers first; empty when no hostname is routed. */
export function renderRouteServers(servers: RouteServers, options: RenderOptions): string[] {
  if (servers.table.hosts.length === 0) return [];
  const https = servers.https && options.httpsListen.length > 0;
  const blocks = [defaultHttpServer(servers, options)];
  if (https) blocks.push(defaultHttpsServer(options));
  for (const host of servers.table.hosts) {
    const certificate = https ? servers.certificates.get(host.hostname) : undefined;
    blocks.push(httpServer(host, servers, options, certificate !== undefined));
    if (certificate !== undefined) blocks.push(httpsServer(host, certificate, options));
  }
  return blocks;
}

function defaultHttpServer(servers: RouteServers, options: RenderOptions): string {
  return block('server', [
    ...options.listen.map((l) => `    listen ${l} default_server;`),
    '    server_name _;',
    ...challengeLocation(servers.challengePort),
    '',
    '    location / {',
    '        return 404;',
    '    }',
  ]);
}

function defaultHttpsServer(options: RenderOptions): string {
  return block('server', [
    ...options.httpsListen.map((l) => `    listen ${l} ssl default_server;`),
    '    server_name _;',
    '    ssl_reject_handshake on;',
  ]);
}

/** Plain HTTP: the locations, or (with a certificate) a 308 to HTTPS; the challenge path either way. */
function httpServer(host: HostRoutes, servers: RouteServers, options: RenderOptions, redirect: boolean): string {
  const body = redirect
    ? ['', '    location / {', `        return 308 https://$host${httpsPortSuffix(options)}$request_uri;`, '    }']
    : host.paths.flatMap(locations);
  return block('server', [
    ...options.listen.map((l) => `    listen ${l};`),
    `    server_name ${host.hostname};`,
    ...challengeLocation(servers.challengePort),
    ...body,
  ]);
}

function httpsServer(host: HostRoutes, certificate: ServedCertificate, options: RenderOptions): string {
  return block('server', [
    ...options.httpsListen.map((l) => `    listen ${l} ssl;`),
    `    server_name ${host.hostname};`,
    `    ssl_certificate ${certificate.certFile};`,
    `    ssl_certificate_key ${certificate.keyFile};`,
    ...(options.hsts ? ['    add_header Strict-Transport-Security "max-age=31536000" always;'] : []),
    ...host.paths.flatMap(locations),
  ]);
}

/** `location PATH/` (and `location = PATH`, so `/api` itself is served too) proxied to the upstream. */
function locations(route: RoutePath): string[] {
  const uri = route.stripPrefix ? '/' : '';
  const lines = (match: string): string[] => [
    '',
    `    location ${match} {`,
    `        proxy_pass http://${route.upstream}${uri};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Connection "";',
    '        proxy_set_header Host $host;',
    '        proxy_set_header X-Real-IP $remote_addr;',
    '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '        proxy_set_header X-Forwarded-Proto $scheme;',
    ...(route.stripPrefix ? [`        proxy_set_header X-Forwarded-Prefix ${route.path};`] : []),
    '    }',
  ];
  return route.path === '/' ? lines('/') : [...lines(`${route.path}/`), ...lines(`= ${route.path}`)];
}

function challengeLocation(port: number | undefined): string[] {
  if (port === undefined) return [];
  return ['', `    location ^~ ${CHALLENGE_PATH} {`, `        proxy_pass http://127.0.0.1:${port};`, '    }'];
}

/** `:8443` when the first HTTPS listen port is not 443, for the redirect's URL. */
function httpsPortSuffix(options: RenderOptions): string {
  const port = /([0-9]+)$/.exec(options.httpsListen[0] ?? '443')?.[1] ?? '443';
  return port === '443' ? '' : `:${port}`;
}
