import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { dnsConfigSchema, gatewayConfigSchema } from './config-sections.js';
import { RundockError, ValidationError } from './errors.js';

/** The default config file; RUNDOCK_CONFIG or --config name another. */
export const DEFAULT_CONFIG_PATH = '/etc/rundock/config.yml';

const ipv4 = z.ipv4({ error: 'must be an IPv4 address' });

/** Host settings from the config file (snake_case keys); unknown keys are rejected. */
export const hostConfigSchema = z.strictObject({
  hostname: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label')
    .optional(),
  public_ip: ipv4.optional(),
  private_ip: ipv4.optional(),
  public_iface: z.string().min(1).optional(),
  private_iface: z.string().min(1).optional(),
  // The agent's settings; its flags of the same names (with dashes) win.
  domain: z.string().min(1).optional(),
  etcd: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  // etcd TLS and auth (docs/security.md); RUNDOCK_ETCD_* and the --etcd-* flags win.
  etcd_cacert: z.string().min(1).optional(),
  etcd_cert: z.string().min(1).optional(),
  etcd_key: z.string().min(1).optional(),
  etcd_user: z.string().min(1).optional(),
  etcd_password_file: z.string().min(1).optional(),
  lease_ttl: z.number().int().min(2).optional(),
  record_ttl: z.number().int().min(0).optional(),
  priority: z.number().int().min(0).max(65535).optional(),
  weight: z.number().int().min(0).max(65535).optional(),
  stable_after: z.string().min(1).optional(),
  state_dir: z.string().min(1).optional(),
  status_listen: z.string().min(1).optional(),
  withdraw_on_exit: z.boolean().optional(),
  announce_self: z.string().min(1).optional(),
  // `rundock dns` and `rundock gateway` run as services without flags (config-sections.ts).
  dns: dnsConfigSchema.optional(),
  gateway: gatewayConfigSchema.optional(),
});

export type HostConfig = Readonly<z.infer<typeof hostConfigSchema>>;

/**
 * Reads and validates the config file. A missing file at the default path is an empty config; a missing file that
 * was asked for by name is an error.
 */
export function loadHostConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): HostConfig {
  const explicit = path ?? env.RUNDOCK_CONFIG;
  const file = explicit ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (explicit === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return Object.freeze({});
    throw new RundockError('RUNDOCK_E_CONFIG', `config file ${file} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const result = hostConfigSchema.safeParse(parseYaml(text) ?? {}, { reportInput: true });
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = issue?.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]].join('.') : issue?.path.join('.');
    throw new ValidationError(
      `${file}: ${key ?? '?'}`,
      issue?.input,
      issue?.message ?? 'is invalid',
      'RUNDOCK_E_CONFIG',
    );
  }
  const { dns, gateway } = result.data;
  return Object.freeze({
    ...result.data,
    ...(dns && { dns: Object.freeze(dns) }),
    ...(gateway && { gateway: Object.freeze(gateway) }),
  });
}
