/**
 * The etcd connection flags, the same on every command that talks to etcd (ps --all, agent, dns, gateway), and
 * their resolution: flag, then RUNDOCK_ETCD_* environment variable, then the config file (docs/cli.md).
 */
import type { Command } from 'commander';
import {
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

/**
 * The etcd connection from flags, environment and config file, each setting on its own: flag > env > config.
 * Undefined when no endpoint is set anywhere (the caller decides whether that is an error). Throws ValidationError.
 */
export function etcdConnection(
  flags: EtcdFlags,
  config: HostConfig,
  env: NodeJS.ProcessEnv = process.env,
): EtcdConnection | undefined {
  const configEtcd = Array.isArray(config.etcd) ? config.etcd.join(',') : config.etcd;
  const pick = (
    flag: string,
    flagValue: string | undefined,
    envName: string,
    configKey: string,
    configValue: string | undefined,
  ): Given | undefined => {
    if (flagValue !== undefined) return { value: flagValue, name: flag };
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, name: envName };
    return configValue === undefined ? undefined : { value: configValue, name: configKey };
  };
  const settings: EtcdSettings = {
    etcd: pick('etcd', flags.etcd, 'RUNDOCK_ETCD', 'etcd', configEtcd),
    cacert: pick('etcd-cacert', flags.etcdCacert, 'RUNDOCK_ETCD_CACERT', 'etcd_cacert', config.etcd_cacert),
    cert: pick('etcd-cert', flags.etcdCert, 'RUNDOCK_ETCD_CERT', 'etcd_cert', config.etcd_cert),
    key: pick('etcd-key', flags.etcdKey, 'RUNDOCK_ETCD_KEY', 'etcd_key', config.etcd_key),
    user: pick('etcd-user', flags.etcdUser, 'RUNDOCK_ETCD_USER', 'etcd_user', config.etcd_user),
    ...passwordSettings(flags, config, env),
  };
  return resolveEtcdConnection(settings);
}

/**
 * The password source: --etcd-password-file, then RUNDOCK_ETCD_PASSWORD_FILE or RUNDOCK_ETCD_PASSWORD (a file
 * wins over the bare variable), then etcd_password_file. The password itself never comes from a flag: `ps` shows those.
 */
function passwordSettings(
  flags: EtcdFlags,
  config: HostConfig,
  env: NodeJS.ProcessEnv,
): Pick<EtcdSettings, 'passwordFile' | 'password'> {
  if (flags.etcdPasswordFile !== undefined)
    return { passwordFile: { value: flags.etcdPasswordFile, name: 'etcd-password-file' } };
  const file = env.RUNDOCK_ETCD_PASSWORD_FILE;
  if (file !== undefined && file !== '') return { passwordFile: { value: file, name: 'RUNDOCK_ETCD_PASSWORD_FILE' } };
  const password = env.RUNDOCK_ETCD_PASSWORD;
  if (password !== undefined && password !== '')
    return { password: { value: password, name: 'RUNDOCK_ETCD_PASSWORD' } };
  return config.etcd_password_file === undefined
    ? {}
    : { passwordFile: { value: config.etcd_password_file, name: 'etcd_password_file' } };
}
