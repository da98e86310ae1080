import { parse as parseYaml } from 'yaml';
import * as z from 'zod/mini';
import './zod-messages.js';
import { dnsConfigSchema, gatewayConfigSchema } from './config-sections.js';
import { readConfigFile } from './config-file.js';
import { ValidationError } from './errors.js';
import { DNS_LABEL } from './dns-label.js';
import { MIN_LEASE_TTL_SECONDS } from './lease-ttl.js';

export { DEFAULT_CONFIG_PATH, readConfigFile } from './config-file.js';

const ipv4 = z.ipv4({ error: 'must be an IPv4 address' });
const text = (): z.ZodMiniString => z.string().check(z.minLength(1));
const whole = (min: number, max?: number): z.ZodMiniNumberFormat =>
  z.int().check(z.minimum(min), ...(max === undefined ? [] : [z.maximum(max)]));

/**
 * Host settings from the config file (snake_case keys); unknown keys are rejected. The daemons' keys are their
 * options' declared config keys (cli/daemon-options/declare.ts; declarations.test.ts holds them together).
 */
export const hostConfigSchema = z.strictObject({
  hostname: z.optional(z.string().check(z.regex(DNS_LABEL, 'must be a DNS label'))),
  public_ip: z.optional(ipv4),
  private_ip: z.optional(ipv4),
  public_iface: z.optional(text()),
  private_iface: z.optional(text()),
  // The agent's settings; its flags of the same names (with dashes) win.
  domain: z.optional(text()),
  etcd: z.optional(z.union([text(), z.array(text()).check(z.minLength(1))])),
  // etcd TLS and auth (docs/security.md); RUNDOCK_ETCD_* and the --etcd-* flags win.
  etcd_cacert: z.optional(text()),
  etcd_cert: z.optional(text()),
  etcd_key: z.optional(text()),
  etcd_user: z.optional(text()),
  etcd_password_file: z.optional(text()),
  lease_ttl: z.optional(whole(MIN_LEASE_TTL_SECONDS)),
  record_ttl: z.optional(whole(0)),
  priority: z.optional(whole(0, 65535)),
  weight: z.optional(whole(0, 65535)),
  stable_after: z.optional(text()),
  crash_loop_restarts: z.optional(whole(1, 1000)),
  crash_loop_window: z.optional(text()),
  state_dir: z.optional(text()),
  status_listen: z.optional(text()),
  withdraw_on_exit: z.optional(z.boolean()),
  announce_self: z.optional(text()),
  announce_self_check: z.optional(text()),
  // `rundock dns` and `rundock gateway` run as services without flags (config-sections.ts).
  dns: z.optional(dnsConfigSchema),
  gateway: z.optional(gatewayConfigSchema),
});

export type HostConfig = Readonly<z.infer<typeof hostConfigSchema>>;

/**
 * Reads and validates the config file. A missing file at the default path is an empty config; a missing file that
 * was asked for by name is an error.
 */
export function loadHostConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): HostConfig {
  const found = readConfigFile(path, env);
  return found === undefined ? Object.freeze({}) : parseHostConfig(found.text, found.file);
}

/** Parses and validates the text of config file `file`; errors name the file and the key. */
export function parseHostConfig(text: string, file: string): HostConfig {
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
