/**
 * Finding and reading the config file, without parsing it: a command with no config file never loads the YAML parser
 * or the schema (config.ts does both).
 */
import { readFileSync } from 'node:fs';
import { RundockError } from './errors.js';

/** The default config file; RUNDOCK_CONFIG or --config name another. */
export const DEFAULT_CONFIG_PATH = '/etc/rundock/config.yml';

/** The config file's path: --config, else RUNDOCK_CONFIG, else the default. */
export function configFilePath(path: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path ?? env.RUNDOCK_CONFIG ?? DEFAULT_CONFIG_PATH;
}

/** The config file's path and text; undefined when the default file is missing (an empty config). */
export function readConfigFile(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { file: string; text: string } | undefined {
  const explicit = path ?? env.RUNDOCK_CONFIG;
  const file = configFilePath(path, env);
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (error) {
    if (explicit === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RundockError('RUNDOCK_E_CONFIG', `config file ${file} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
