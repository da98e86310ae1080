import { isIP } from 'node:net';
import { ValidationError } from '../shared/errors.js';
import { DockerRuntime } from '../runtime/docker.js';
import { hostName, selectAddresses, type HostAddresses } from '../runtime/host.js';
import type { HostConfig } from '../shared/config.js';
import { configOf } from './config-cache.js';
import { VERSION } from '../shared/version.js';
import type { HostContext } from '../deploy/prepare.js';
import type { LocalAgent } from '../deploy/handover.js';
import { parseListen } from './listen.js';

export { configOf } from './config-cache.js';

/** Options every command accepts (see docs/cli.md). */
export interface GlobalOptions {
  json?: boolean;
  config?: string;
  publicIp?: string;
  privateIp?: string;
  publicIface?: string;
  privateIface?: string;
}

/** A setting and where it came from, as errors name it: `--private-ip`, `RUNDOCK_PRIVATE_IP`, `private_ip (config file)`. */
interface Given {
  value: string;
  name: string;
}

type Kind = 'public' | 'private';

/**
 * This host as rundock sees it. Precedence for each address: flag, then RUNDOCK_PUBLIC_IP/RUNDOCK_PRIVATE_IP,
 * then the config file (each an address, else an interface), then the interface rule.
 */
export function hostContext(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): HostContext {
  const config = configOf(opts, env);
  const given = {
    public: givenAddress('public', opts, env, config),
    private: givenAddress('private', opts, env, config),
  };
  const addresses = selectAddresses({
    publicIp: checkedIp(given.public.ip),
    privateIp: checkedIp(given.private.ip),
    publicIface: given.public.iface?.value,
    privateIface: given.private.iface?.value,
  });
  return { name: hostName(env.RUNDOCK_HOSTNAME ?? config.hostname), addresses, version: VERSION };
}

/**
 * This host for a deploy: when the host's agent runs, the addresses it announces services on (its GET /status), so a
 * service is published where it is announced whatever this command would detect. An address given to this command
 * (flag, environment, config file) that differs from the agent's is refused before anything changes.
 */
export function deployHost(
  opts: GlobalOptions,
  agent: LocalAgent | undefined,
  env: NodeJS.ProcessEnv = process.env,
): HostContext {
  const host = hostContext(opts, env);
  const announced = agent?.status.addresses;
  if (agent === undefined || announced === undefined) return host;
  const config = configOf(opts, env);
  const addresses: HostAddresses = { ...host.addresses };
  for (const kind of ['public', 'private'] as const) {
    const theirs = announced[kind];
    if (theirs === undefined) continue;
    const given = givenAddress(kind, opts, env, config);
    const source = given.ip ?? given.iface;
    if (source !== undefined && host.addresses[kind] !== theirs) {
      throw new ValidationError(
        fieldName(source),
        host.addresses[kind] ?? source.value,
        `differs from the ${kind} address ${theirs} that the agent at ${agent.base} announces services on: a service published there would not be reachable where it is announced; leave ${source.name} out (the agent's address is used), or restart the agent with ${host.addresses[kind] ?? source.value}`,
        'RUNDOCK_E_ADDRESS_MISMATCH',
      );
    }
    addresses[kind] = theirs;
  }
  return { ...host, addresses };
}

/** The address settings of one kind, each with where it came from. */
function givenAddress(
  kind: Kind,
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv,
  config: HostConfig,
): { ip?: Given | undefined; iface?: Given | undefined } {
  const upper = kind.toUpperCase();
  return {
    ip: pick(
      kind === 'public' ? opts.publicIp : opts.privateIp,
      `--${kind}-ip`,
      env[`RUNDOCK_${upper}_IP`],
      `RUNDOCK_${upper}_IP`,
      config[`${kind}_ip`],
      `${kind}_ip (config file)`,
    ),
    iface: pick(
      kind === 'public' ? opts.publicIface : opts.privateIface,
      `--${kind}-iface`,
      env[`RUNDOCK_${upper}_IFACE`],
      `RUNDOCK_${upper}_IFACE`,
      config[`${kind}_iface`],
      `${kind}_iface (config file)`,
    ),
  };
}

function pick(
  flag: string | undefined,
  flagName: string,
  fromEnv: string | undefined,
  envName: string,
  fromConfig: string | undefined,
  configName: string,
): Given | undefined {
  if (flag !== undefined) return { value: flag, name: flagName };
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, name: envName };
  return fromConfig === undefined ? undefined : { value: fromConfig, name: configName };
}

/** Where the agent serves /status unless told otherwise; `ps`, `enable` and `apply` ask it there. */
export const DEFAULT_STATUS_LISTEN = '127.0.0.1:9476';

/** The local agent's status address: `--agent`, RUNDOCK_AGENT, `status_listen` in the config file, or the default. */
export function agentAddress(
  flag: string | undefined,
  global: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return flag ?? env.RUNDOCK_AGENT ?? configOf(global, env).status_listen ?? DEFAULT_STATUS_LISTEN;
}

/** The local agent's status address parsed; an error names where the bad address came from. */
export function agentListen(
  flag: string | undefined,
  global: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): { host: string; port: number } {
  const name =
    flag !== undefined
      ? 'agent'
      : env.RUNDOCK_AGENT !== undefined
        ? 'RUNDOCK_AGENT'
        : configOf(global, env).status_listen !== undefined
          ? 'status_listen (config file)'
          : 'agent';
  return parseListen(name, agentAddress(flag, global, env));
}

/** The engine adapter, at the endpoint DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH name (runtime/endpoint.ts). */
export function dockerRuntime(): DockerRuntime {
  return new DockerRuntime();
}

function checkedIp(given: Given | undefined): string | undefined {
  if (given !== undefined && isIP(given.value) !== 4)
    throw new ValidationError(fieldName(given), given.value, 'must be an IPv4 address');
  return given?.value;
}

/** A setting as an error's field: a flag without its dashes (`private-ip`), else its name as given. */
function fieldName(given: Given): string {
  return given.name.startsWith('--') ? given.name.slice(2) : given.name;
}

/** The help text of every command's --agent. */
export const AGENT_HELP = `the local agent's status address, to use its addresses and wait for its announcement (default ${DEFAULT_STATUS_LISTEN}; env RUNDOCK_AGENT, or status_listen in the config file)`;
