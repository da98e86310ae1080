import * as z from 'zod/mini';
import './zod-messages.js';

/**
 * The `dns:` and `gateway:` sections of the config file: the settings of `rundock dns` and `rundock gateway` for a
 * service that runs them without flags (packaging/). Each key is the flag's name with `_` for `-`; a flag given on
 * the command line wins over its key. Repeatable flags take a list. Values are checked here for their type and then
 * by the command, as its flags are. cli/daemon-options/declarations.test.ts holds the keys to the commands' declared
 * options.
 */
const text = z.string().check(z.minLength(1));
const count = (min: number): z.ZodMiniNumberFormat => z.int().check(z.minimum(min));
const list = z.array(text);

/**
 * etcd credentials of the command's own, over the top-level `etcd_*` keys (the agent's): a host's DNS server or
 * gateway gets an etcd user of its own (docs/security.md, "Users and roles").
 */
const etcdCredentials = {
  etcd_cacert: z.optional(text),
  etcd_cert: z.optional(text),
  etcd_key: z.optional(text),
  etcd_user: z.optional(text),
  etcd_password_file: z.optional(text),
};

/** `rundock dns`'s flags (docs/cli.md, "dns"). */
export const dnsConfigSchema = z.strictObject({
  ...etcdCredentials,
  listen: z.optional(text),
  forward: z.optional(text),
  default_ttl: z.optional(count(0)),
  status_listen: z.optional(text),
  metrics_listen: z.optional(text),
  workers: z.optional(count(1)),
  dns_rate_limit: z.optional(count(0)),
  // A comma-separated string, as the flag, or a list; '' (or []) exempts no one.
  dns_rate_limit_exempt: z.optional(z.union([z.string(), z.array(z.string())])),
  // The public zone (docs/gateway.md): also read by `rundock agent --dns`.
  public_name: z.optional(list),
  update_server: z.optional(text),
  tsig_key_file: z.optional(text),
  public_ttl: z.optional(count(0)),
});

/** `rundock gateway`'s flags (docs/gateway.md). */
export const gatewayConfigSchema = z.strictObject({
  ...etcdCredentials,
  nginx_conf_dir: z.optional(text),
  file: z.optional(text),
  upstream: z.optional(list),
  route: z.optional(list),
  only_routed: z.optional(z.boolean()),
  route_listen: z.optional(list),
  https_listen: z.optional(list),
  hsts: z.optional(z.boolean()),
  certificate: z.optional(list),
  acme_email: z.optional(text),
  acme_directory: z.optional(text),
  acme_ca_file: z.optional(text),
  upstream_option: z.optional(list),
  template: z.optional(text),
  nginx_resolve: z.optional(text),
  nginx: z.optional(text),
  nginx_conf: z.optional(text),
  nginx_prefix: z.optional(text),
  nginx_error_log: z.optional(text),
  nginx_pid_file: z.optional(text),
  nginx_reload: z.optional(z.enum(['signal', 'command'])),
  min_wait: z.optional(text),
  max_wait: z.optional(text),
  status_listen: z.optional(text),
  metrics_listen: z.optional(text),
});

export type DnsConfig = Readonly<z.infer<typeof dnsConfigSchema>>;
export type GatewayConfig = Readonly<z.infer<typeof gatewayConfigSchema>>;
