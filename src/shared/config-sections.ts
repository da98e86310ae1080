import * as z from 'zod';

/**
 * The `dns:` and `gateway:` sections of the config file: the settings of `rundock dns` and `rundock gateway` for a
 * service that runs them without flags (packaging/). Each key is the flag's name with `_` for `-`; a flag given on
 * the command line wins over its key. Repeatable flags take a list. Values are checked here for their type and then
 * by the command, as its flags are.
 */
const text = z.string().min(1);
const count = (min: number): z.ZodNumber => z.number().int().min(min);
const list = z.array(text);

/** `rundock dns`'s flags (docs/cli.md, "dns"). */
export const dnsConfigSchema = z.strictObject({
  listen: text.optional(),
  forward: text.optional(),
  default_ttl: count(0).optional(),
  metrics_listen: text.optional(),
  workers: count(1).optional(),
  dns_rate_limit: count(0).optional(),
  // A comma-separated string, as the flag, or a list; '' (or []) exempts no one.
  dns_rate_limit_exempt: z.union([z.string(), z.array(z.string())]).optional(),
});

/** `rundock gateway`'s flags (docs/gateway.md). */
export const gatewayConfigSchema = z.strictObject({
  nginx_conf_dir: text.optional(),
  file: text.optional(),
  upstream: list.optional(),
  route: list.optional(),
  route_listen: list.optional(),
  upstream_option: list.optional(),
  template: text.optional(),
  nginx_resolve: text.optional(),
  nginx: text.optional(),
  nginx_conf: text.optional(),
  nginx_prefix: text.optional(),
  nginx_error_log: text.optional(),
  nginx_pid_file: text.optional(),
  nginx_reload: z.enum(['signal', 'command']).optional(),
  min_wait: text.optional(),
  max_wait: text.optional(),
  metrics_listen: text.optional(),
});

export type DnsConfig = Readonly<z.infer<typeof dnsConfigSchema>>;
export type GatewayConfig = Readonly<z.infer<typeof gatewayConfigSchema>>;
