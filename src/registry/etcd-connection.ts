/**
 * How every rundock component reaches etcd: endpoints, TLS (CA, client certificate and key) and user/password auth.
 * One resolution from flags, environment and config file (flag > env > config), one translation into etcd3 options.
 * The resolved EtcdConnection holds file paths, never file contents, so it can be handed to forked DNS workers.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IOptions } from 'etcd3';
import { ValidationError } from '../shared/errors.js';

/** TLS settings: `caFile` verifies etcd's certificate (system CAs without it); cert and key authenticate rundock. */
export interface EtcdTls {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/** etcd user/password auth; the password comes from a file (never the command line) or RUNDOCK_ETCD_PASSWORD. */
export interface EtcdAuth {
  user: string;
  passwordFile?: string | undefined;
  password?: string | undefined;
}

/** Where etcd is and how to talk to it. Serialisable (JSON): paths only. */
export interface EtcdConnection {
  /** Client URLs, e.g. `https://10.0.0.10:2379`. */
  hosts: string[];
  tls?: EtcdTls | undefined;
  auth?: EtcdAuth | undefined;
}

/**
 * Records from etcd (load, then watch), for the DNS service and the gateway. A TLS or auth failure at the first load
 * fails their start (EtcdAccessError) unless `retryAccessErrors` is set, as inside the agent, which never exits on them.
 */
export interface EtcdSource {
  readonly etcd: EtcdConnection;
  readonly retryAccessErrors?: boolean;
}

/** One setting as given: its value and the name it was given under (flag, env variable or config key) for errors. */
export interface Given {
  value: string;
  name: string;
}

/** The raw settings, each already picked by precedence (see src/cli/etcd-flags.ts). */
export interface EtcdSettings {
  etcd?: Given | undefined;
  cacert?: Given | undefined;
  cert?: Given | undefined;
  key?: Given | undefined;
  user?: Given | undefined;
  passwordFile?: Given | undefined;
  password?: Given | undefined;
}

/**
 * Validates the settings and resolves the connection; undefined when no endpoint is set and nothing else either.
 * Checks now what would otherwise fail later and less clearly: unreadable or malformed files, a certificate without
 * its key (or not matching it), auth without a password, TLS options with http:// endpoints. Throws ValidationError.
 */
export function resolveEtcdConnection(s: EtcdSettings): EtcdConnection | undefined {
  const tlsGiven = s.cacert ?? s.cert ?? s.key;
  const authGiven = s.user ?? s.passwordFile ?? s.password;
  if (s.etcd === undefined) {
    const stray = tlsGiven ?? authGiven;
    if (stray !== undefined)
      throw new ValidationError('etcd', undefined, `is required with ${shown(stray)}`, 'RUNDOCK_E_USAGE');
    return undefined;
  }
  const tls = tlsGiven === undefined ? undefined : resolveTls(s);
  const hosts = resolveHosts(s.etcd, tls !== undefined);
  return { hosts, ...(tls && { tls }), ...(authGiven && { auth: resolveAuth(s) }) };
}

function resolveHosts(etcd: Given, tls: boolean): string[] {
  const hosts = etcd.value
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  if (hosts.length === 0) throw new ValidationError(etcd.name, etcd.value, 'must name at least one endpoint');
  const schemes = new Set<string>();
  for (const host of hosts) {
    const match = /^(?:(https?):\/\/)?([^/\s]+?)(?::(\d+))?\/?$/.exec(host);
    if (!match || (match[3] !== undefined && Number(match[3]) > 65535))
      throw new ValidationError(etcd.name, host, 'must be an endpoint like https://10.0.0.10:2379', 'RUNDOCK_E_USAGE');
    schemes.add(match[1] ?? (tls ? 'https' : 'http'));
  }
  if (schemes.size > 1)
    throw new ValidationError(
      etcd.name,
      etcd.value,
      'mixes http:// and https:// endpoints; use one scheme for all',
      'RUNDOCK_E_USAGE',
    );
  // TLS options with plain endpoints would be silently ignored by etcd's plain listener, or used against it: refuse.
  if (tls && schemes.has('http'))
    throw new ValidationError(
      etcd.name,
      etcd.value,
      'must use https:// endpoints when --etcd-cacert, --etcd-cert or --etcd-key is set',
      'RUNDOCK_E_USAGE',
    );
  // A scheme-less endpoint follows the TLS options (etcd3 looks at the prefix only when no credentials are given).
  return hosts.map((h) => (/^https?:\/\//.test(h) ? h : `${tls ? 'https' : 'http'}://${h}`));
}

function resolveTls(s: EtcdSettings): EtcdTls {
  if ((s.cert === undefined) !== (s.key === undefined)) {
    const [given, missing] = s.cert ? [s.cert, 'etcd-key'] : [s.key as Given, 'etcd-cert'];
    throw new ValidationError(
      missing,
      undefined,
      `is required with ${shown(given)} (a client certificate needs its private key)`,
      'RUNDOCK_E_USAGE',
    );
  }
  if (s.cacert) readPem(s.cacert, 'CA certificate', (b) => new X509Certificate(b));
  if (s.cert && s.key) {
    const cert = readPem(s.cert, 'certificate', (b) => new X509Certificate(b));
    const key = readPem(s.key, 'private key', (b) => createPrivateKey(b));
    if (!cert.checkPrivateKey(key))
      throw new ValidationError(
        s.key.name,
        s.key.value,
        `is not the private key of the certificate ${s.cert.value}`,
        'RUNDOCK_E_CONFIG',
      );
  }
  return { caFile: s.cacert?.value, certFile: s.cert?.value, keyFile: s.key?.value };
}

function resolveAuth(s: EtcdSettings): EtcdAuth {
  if (s.user === undefined) {
    const given = (s.passwordFile ?? s.password) as Given;
    throw new ValidationError('etcd-user', undefined, `is required with ${shown(given)}`, 'RUNDOCK_E_USAGE');
  }
  if (!/^[^\s:]+$/.test(s.user.value))
    throw new ValidationError(
      s.user.name,
      s.user.value,
      'must be an etcd user name (no spaces or colons)',
      'RUNDOCK_E_USAGE',
    );
  if (s.passwordFile !== undefined) {
    readPassword(s.passwordFile.value, s.passwordFile.name);
    return { user: s.user.value, passwordFile: s.passwordFile.value };
  }
  if (s.password === undefined || s.password.value === '') {
    throw new ValidationError(
      'etcd-password-file',
      undefined,
      `is required with ${shown(s.user)} (or set RUNDOCK_ETCD_PASSWORD)`,
      'RUNDOCK_E_USAGE',
    );
  }
  return { user: s.user.value, password: s.password.value };
}

/** How a setting is named in a message: `--flag`, `ENV_VAR`, or `key in the config file`. */
function shown(given: Given): string {
  if (/^[A-Z_]+$/.test(given.name)) return given.name;
  return given.name.includes('_') || given.name === 'etcd' ? `${given.name} in the config file` : `--${given.name}`;
}

/** Reads a file named by a setting; an unreadable file is a ValidationError naming the setting and the path. */
function readGiven(given: Given): Buffer {
  try {
    return readFileSync(given.value);
  } catch (error) {
    throw new ValidationError(
      given.name,
      given.value,
      `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'RUNDOCK_E_CONFIG',
    );
  }
}

function readPem<T>(given: Given, what: string, parse: (bytes: Buffer) => T): T {
  const bytes = readGiven(given);
  try {
    return parse(bytes);
  } catch (error) {
    throw new ValidationError(
      given.name,
      given.value,
      `is not a PEM ${what} (${(error as Error).message})`,
      'RUNDOCK_E_CONFIG',
    );
  }
}

/** The password in a file: its first line (a trailing newline is not part of it); empty is an error. */
function readPassword(file: string, name: string): string {
  const password = readGiven({ value: file, name }).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password === '')
    throw new ValidationError(name, file, 'is empty; it must hold the etcd password', 'RUNDOCK_E_CONFIG');
  return password;
}

/**
 * The endpoints of `connection` that are plain `http://` to an address other than loopback: there anyone on the
 * network can read and rewrite the registry (docs/security.md). Loopback (127.0.0.0/8, ::1, localhost) is left out.
 */
export function plainHttpEndpoints(connection: EtcdConnection): string[] {
  return connection.hosts.filter((endpoint) => {
    const match = /^http:\/\/(\[[^\]]+\]|[^:/]+)/.exec(endpoint);
    if (match === null) return false;
    const host = (match[1] ?? '').replace(/^\[|\]$/g, '').toLowerCase();
    return !(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host));
  });
}

/**
 * The etcd3 client options for a connection: endpoints, TLS credentials read from their files now, and auth.
 * `https://` endpoints without --etcd-cacert verify etcd against the system's CAs.
 */
export function etcdClientOptions(connection: EtcdConnection): Pick<IOptions, 'hosts' | 'credentials' | 'auth'> {
  if (connection.tls !== undefined) quietIpServernameWarning();
  const { tls, auth } = connection;
  const file = (path: string | undefined, name: string): Buffer | undefined =>
    path === undefined ? undefined : readGiven({ value: path, name });
  const credentials =
    tls === undefined
      ? undefined
      : {
          rootCertificate: file(tls.caFile, 'etcd-cacert') as Buffer,
          privateKey: file(tls.keyFile, 'etcd-key'),
          certChain: file(tls.certFile, 'etcd-cert'),
        };
  const password =
    auth === undefined
      ? undefined
      : auth.passwordFile !== undefined
        ? readPassword(auth.passwordFile, 'etcd-password-file')
        : (auth.password ?? '');
  return {
    hosts: connection.hosts,
    ...(credentials && { credentials }),
    ...(auth && password !== undefined && { auth: { username: auth.user, password } }),
  };
}

let warningFiltered = false;
/**
 * grpc-js sets the TLS server name to the endpoint even when it is an IP address (etcd members are usually named by
 * address), and Node then prints DEP0123 on every connection. The certificate is still checked against the IP SAN;
 * only that one warning is dropped, every other warning is printed as before.
 */
function quietIpServernameWarning(): void {
  if (warningFiltered) return;
  warningFiltered = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    emit(warning, ...rest);
  };
}
