import { isIP } from 'node:net';
import { ValidationError } from '../shared/errors.js';
import { DockerRuntime } from '../runtime/docker.js';
import { hostName, selectAddresses } from '../runtime/host.js';
import { loadHostConfig } from '../shared/config.js';
import { VERSION } from '../shared/version.js';
import type { HostContext } from '../deploy/prepare.js';

/** Options every command accepts (see docs/cli.md). */
export interface GlobalOptions {
  json?: boolean;
  config?: string;
  publicIp?: string;
  privateIp?: string;
  publicIface?: string;
  privateIface?: string;
}

/**
 * This host as rundock sees it. Precedence for each address: flag, then RUNDOCK_PUBLIC_IP/RUNDOCK_PRIVATE_IP,
 * then the config file, then the interface rule.
 */
export function hostContext(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): HostContext {
  const config = loadHostConfig(opts.config, env);
  const addresses = selectAddresses({
    publicIp: checkedIp('public-ip', opts.publicIp ?? env.RUNDOCK_PUBLIC_IP) ?? config.public_ip,
    privateIp: checkedIp('private-ip', opts.privateIp ?? env.RUNDOCK_PRIVATE_IP) ?? config.private_ip,
    publicIface: opts.publicIface ?? env.RUNDOCK_PUBLIC_IFACE ?? config.public_iface,
    privateIface: opts.privateIface ?? env.RUNDOCK_PRIVATE_IFACE ?? config.private_iface,
  });
  return { name: hostName(env.RUNDOCK_HOSTNAME ?? config.hostname), addresses, version: VERSION };
}

/** Where the agent serves /status unless told otherwise; `ps`, `enable` and `apply` ask it there. */
export const DEFAULT_STATUS_LISTEN = '127.0.0.1:9476';

/** The local agent's status address: `--agent`, RUNDOCK_AGENT, `status_listen` in the config file, or the default. */
export function agentAddress(
  flag: string | undefined,
  global: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return flag ?? env.RUNDOCK_AGENT ?? loadHostConfig(global.config, env).status_listen ?? DEFAULT_STATUS_LISTEN;
}

/** The engine adapter, at the endpoint DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH name (runtime/endpoint.ts). */
export function dockerRuntime(): DockerRuntime {
  return new DockerRuntime();
}

function checkedIp(field: string, value: string | undefined): string | undefined {
  if (value !== undefined && isIP(value) !== 4) throw new ValidationError(field, value, 'must be an IPv4 address');
  return value;
}
