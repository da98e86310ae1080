/**
 * A daemon's options gathered from its flags and the config file, so a service can run `rundock dns` or
 * `rundock gateway` with every setting in /etc/rundock/config.yml. Order: flag on the command line (or its
 * environment variable), then the key of the command's section (`dns:`, `gateway:`), then a top-level key (`domain`,
 * `lease_ttl`), then the flag's default. Each value remembers the config key it came from, so an error names what
 * the user wrote.
 */
import { ValidationError, type ErrorCode } from '../shared/errors.js';

/** Where commander says an option's value came from (Command.getOptionValueSource). */
export type OptionSource = (key: string) => string | undefined;

/** Where the config file's values come in. */
export interface ConfigValues {
  /** The file, as its errors name it. */
  readonly file: string;
  /** The command's section: its keys are the flags' names with `_` for `-` (`nginx_conf_dir` is `--nginx-conf-dir`). */
  readonly section?: { readonly name: string; readonly values: Readonly<Record<string, unknown>> | undefined };
  /** Top-level keys standing in for a flag, by flag name: `{ 'lease-ttl': ['lease_ttl', 30] }`. */
  readonly topLevel?: Readonly<Record<string, readonly [key: string, value: unknown]>>;
}

/** A daemon's raw options by flag name (`lease-ttl`), and how to name each in an error. */
export class DaemonInput {
  private constructor(
    /** Each option's value, in the flag's shape (text, or a list for a repeatable flag). */
    readonly values: Readonly<Record<string, unknown>>,
    private readonly configKeys: Readonly<Record<string, string>>,
    private readonly file: string,
  ) {}

  /** `flags` (as commander hands them over) completed from the config file. */
  static of(flags: object, sourceOf: OptionSource, config: ConfigValues): DaemonInput {
    const values: Record<string, unknown> = {};
    const configKeys: Record<string, string> = {};
    for (const [name, value] of Object.entries(flags)) values[kebab(name)] = value;
    const given = (flag: string): boolean => ['cli', 'env'].includes(sourceOf(camel(flag)) ?? '');
    const take = (flag: string, key: string, value: unknown): void => {
      if (value === undefined || given(flag) || configKeys[flag] !== undefined) return;
      values[flag] = flagShaped(value, Array.isArray(values[flag]));
      configKeys[flag] = key;
    };
    const { section } = config;
    for (const [key, value] of Object.entries(section?.values ?? {}))
      take(key.replaceAll('_', '-'), `${section?.name ?? ''}.${key}`, value);
    for (const [flag, [key, value]] of Object.entries(config.topLevel ?? {})) take(flag, key, value);
    return new DaemonInput(Object.freeze(values), configKeys, config.file);
  }

  /** Whether the option's value came from the config file. */
  fromConfig(flag: string): boolean {
    return this.configKeys[flag] !== undefined;
  }

  /** An error about option `flag`: named by the flag, or by the file and key its value came from. */
  error(flag: string, value: unknown, reason: string, code?: ErrorCode): ValidationError {
    const key = this.configKeys[flag];
    if (key === undefined) return new ValidationError(flag, value, reason, code);
    return new ValidationError(`${this.file}: ${key}`, value, reason, 'RUNDOCK_E_CONFIG');
  }

  /** `error` named as this input names options (an error from a check that knows only the flag). */
  renamed(error: ValidationError): ValidationError {
    return this.fromConfig(error.field) ? this.error(error.field, error.value, error.reason) : error;
  }
}

/** A config value in the flag's shape: numbers as text; a list stays a list for a repeatable flag, else is joined. */
function flagShaped(value: unknown, repeatable: boolean): unknown {
  if (Array.isArray(value)) return repeatable ? value.map(String) : value.map(String).join(',');
  return typeof value === 'number' ? String(value) : value;
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
