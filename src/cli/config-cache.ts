/**
 * The config file as every command sees it: read and validated once, when the command starts (main.ts), then taken
 * from here. The YAML parser and the schema load only when there is a file to parse.
 */
import type { HostConfig } from '../shared/config.js';
import { readConfigFile } from '../shared/config-file.js';

const loaded = new Map<string, HostConfig>();

function keyOf(global: { config?: string | undefined }, env: NodeJS.ProcessEnv): string {
  return global.config ?? env.RUNDOCK_CONFIG ?? '';
}

/** Reads and validates the config file (`--config`, RUNDOCK_CONFIG, or the default path) unless it was already. */
export async function loadConfig(
  global: { config?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): Promise<HostConfig> {
  const key = keyOf(global, env);
  const known = loaded.get(key);
  if (known !== undefined) return known;
  const found = readConfigFile(global.config, env);
  const config =
    found === undefined
      ? Object.freeze({})
      : (await import('../shared/config.js')).parseHostConfig(found.text, found.file);
  loaded.set(key, config);
  return config;
}

/** The config file loaded at the command's start (loadConfig). */
export function configOf(global: { config?: string | undefined }, env: NodeJS.ProcessEnv = process.env): HostConfig {
  const config = loaded.get(keyOf(global, env));
  if (config === undefined) throw new Error('the config file is read when a command starts (loadConfig) and was not');
  return config;
}
