/**
 * A command's flags completed from its section of the config file (`dns:`, `gateway:`), so a service can run
 * `rundock dns` or `rundock gateway` with every setting in /etc/rundock/config.yml. Order: flag on the command line
 * (or its environment variable), then the config key, then the flag's default.
 */

/** Where commander says an option's value came from (Command.getOptionValueSource). */
export type OptionSource = (key: string) => string | undefined;

/**
 * `flags` with each key of `section` (snake_case: `nginx_conf_dir` is `--nginx-conf-dir`) put in where the flag
 * was not given. Values take the flag's shape: numbers become strings; a list stays a list for a repeatable flag
 * (whose value is an array) and is joined with commas for a comma-separated one.
 */
export function withConfigSection<T extends object>(
  flags: T,
  sourceOf: OptionSource,
  section: Readonly<Record<string, unknown>> | undefined,
): T {
  if (section === undefined) return flags;
  const merged = { ...flags } as Record<string, unknown>;
  for (const [key, value] of Object.entries(section)) {
    const name = key.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
    const source = sourceOf(name);
    if (value === undefined || source === 'cli' || source === 'env') continue;
    merged[name] = flagShaped(value, Array.isArray(merged[name]));
  }
  return merged as T;
}

function flagShaped(value: unknown, repeatable: boolean): unknown {
  if (Array.isArray(value)) return repeatable ? value.map(String) : value.map(String).join(',');
  return typeof value === 'number' ? String(value) : value;
}
