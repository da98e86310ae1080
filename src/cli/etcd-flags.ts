/**
 * The etcd connection flags, the same on every command that talks to etcd (ps --all, agent, dns, gateway), and
 * their resolution: flag, then RUNDOCK_ETCD_* environment variable, then the config file (docs/cli.md).
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import {
  plainHttpEndpoints,
  resolveEtcdConnection,
  type EtcdConnection,
  type EtcdSettings,
  type Given,
} from '../registry/etcd-connection.js';
import type { HostConfig } from '../shared/config.js';

/** The flags addEtcdOptions defines, as commander hands them over. */
export interface EtcdFlags {
  etcd?: string;
  etcdCacert?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdUser?: string;
  etcdPasswordFile?: string;
}

/** Adds --etcd (with the command's own help text) and the TLS and auth flags to `command`. */
export function addEtcdOptions(command: Command, etcdHelp: string): Command {
  return command
    .option('--etcd <urls>', `${etcdHelp} (or RUNDOCK_ETCD)`)
    .option(
      '--etcd-cacert <file>',
      "CA certificate (PEM) that signed etcd's certificate; https:// endpoints without it trust the system CAs (or RUNDOCK_ETCD_CACERT)",
    )
    .option(
      '--etcd-cert <file>',
      'client certificate (PEM) for etcd --client-cert-auth; needs --etcd-key (or RUNDOCK_ETCD_CERT)',
    )
    .option('--etcd-key <file>', 'private key (PEM) of --etcd-cert (or RUNDOCK_ETCD_KEY)')
    .option(
      '--etcd-user <user>',
      'etcd user for auth; the password comes from --etcd-password-file or RUNDOCK_ETCD_PASSWORD (or RUNDOCK_ETCD_USER)',
    )
    .option(
      '--etcd-password-file <file>',
      "file holding the etcd user's password, first line (or RUNDOCK_ETCD_PASSWORD_FILE)",
    );
}

/** The etcd keys a config section (`dns:`, `gateway:`) may set for its command alone. */
type EtcdCredentialKeys = 'etcd_cacert' | 'etcd_cert' | 'etcd_key' | 'etcd_user' | 'etcd_password_file';

/** A command's config section whose `etcd_*` keys win over the top-level ones (the agent's) for that command. */
export interface EtcdSection {
  readonly name: string;
  readonly values: Readonly<Partial<Record<EtcdCredentialKeys, string>>> | undefined;
}

/**
 * The etcd connection from flags, environment and config file, each setting on its own: flag > env > the command's
 * config section > the top level of the config file. Undefined when no endpoint is set anywhere (the caller decides
 * whether that is an error). Throws ValidationError.
 */
export function etcdConnection(
  flags: EtcdFlags,
  config: HostConfig,
  env: NodeJS.ProcessEnv = process.env,
  section?: EtcdSection,
): EtcdConnection | undefined {
  const configEtcd = Array.isArray(config.etcd) ? config.etcd.join(',') : config.etcd;
  const configured = (key: EtcdCredentialKeys): Given | undefined => {
    const own = section?.values?.[key];
    if (own !== undefined) return { value: own, name: `${section?.name ?? ''}.${key}` };
    const top = config[key];
    return top === undefined ? undefined : { value: top, name: key };
  };
  const pick = (
    flag: string,
    flagValue: string | undefined,
    envName: string,
    fromConfig?: Given,
  ): Given | undefined => {
    if (flagValue !== undefined) return { value: flagValue, name: flag };
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, name: envName };
    return fromConfig;
  };
  const settings: EtcdSettings = {
    etcd: pick(
      'etcd',
      flags.etcd,
      'RUNDOCK_ETCD',
      configEtcd === undefined ? undefined : { value: configEtcd, name: 'etcd' },
    ),
    cacert: pick('etcd-cacert', flags.etcdCacert, 'RUNDOCK_ETCD_CACERT', configured('etcd_cacert')),
    cert: pick('etcd-cert', flags.etcdCert, 'RUNDOCK_ETCD_CERT', configured('etcd_cert')),
    key: pick('etcd-key', flags.etcdKey, 'RUNDOCK_ETCD_KEY', configured('etcd_key')),
    user: pick('etcd-user', flags.etcdUser, 'RUNDOCK_ETCD_USER', configured('etcd_user')),
    ...passwordSettings(flags, configured('etcd_password_file'), env),
  };
  return resolveEtcdConnection(settings);
}

/**
 * The password source: --etcd-password-file, then RUNDOCK_ETCD_PASSWORD_FILE or RUNDOCK_ETCD_PASSWORD (a file
 * wins over the bare variable), then etcd_password_file (the section's, else the top level's). The password itself
 * never comes from a flag: `ps` shows those.
 */
function passwordSettings(
  flags: EtcdFlags,
  configured: Given | undefined,
  env: NodeJS.ProcessEnv,
): Pick<EtcdSettings, 'passwordFile' | 'password'> {
  if (flags.etcdPasswordFile !== undefined)
    return { passwordFile: { value: flags.etcdPasswordFile, name: 'etcd-password-file' } };
  const file = env.RUNDOCK_ETCD_PASSWORD_FILE;
  if (file !== undefined && file !== '') return { passwordFile: { value: file, name: 'RUNDOCK_ETCD_PASSWORD_FILE' } };
  const password = env.RUNDOCK_ETCD_PASSWORD;
  if (password !== undefined && password !== '')
    return { password: { value: password, name: 'RUNDOCK_ETCD_PASSWORD' } };
  return configured === undefined ? {} : { passwordFile: configured };
}

/**
 * One warning at a daemon's start when it talks to etcd over plain HTTP off loopback (docs/security.md): nothing
 * stops it, but whoever is on that network can read and rewrite every record.
 */
export function warnPlainEtcd(connection: EtcdConnection | undefined, log: Logger): void {
  const plain = connection === undefined ? [] : plainHttpEndpoints(connection);
  if (plain.length === 0) return;
  log.warn(
    { etcd: plain },
    `etcd at ${plain.join(',')} is plain HTTP: anyone on that network can read and rewrite the registry; use https:// with client certificates (docs/security.md)`,
  );
}
