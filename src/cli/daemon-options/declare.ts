/**
 * One declaration per daemon option: its flag, value placeholder, help, default, config key and checked schema. The
 * commander options (and so `--help`), the zod schema with its defaults and the config keys read in place of a flag
 * all come from it; declarations.test.ts holds docs/cli.md's option tables and the config file's schema against it.
 */
import type { Command } from 'commander';
import * as z from 'zod/mini';
import type { Piece } from './fields.js';

/** How an option is described: what --help and docs/cli.md say of it. */
interface Description {
  /** commander's value placeholder (`<duration>`, `[addr:port]`); none for a switch. */
  readonly value?: string;
  /** The --help text, without the default (declare.ts adds it). */
  readonly help: string;
  /**
   * The config file key read when the flag is not given, outside the command's own section (`dns:`, `gateway:`,
   * whose keys are the flags' names with `_`): a top-level key (`stable_after`) or `section.key` (`dns.public_name`).
   */
  readonly config?: string;
  /** The config key is documented for this option but read elsewhere (the agent's `hostname`: hostContext). */
  readonly configReadElsewhere?: true;
}

/** One option, declared once. */
export interface OptionDeclaration<S extends z.ZodMiniType = z.ZodMiniType> extends Description {
  /** The default as text: what the schema reads without the flag and the key. */
  readonly default?: string;
  /** --help's note on the default: `(default NOTE)` after the help; the default itself unless set. */
  readonly defaultNote?: string;
  /** commander holds the default (shown as `(default: "x")`) rather than the schema. */
  readonly commanderDefault?: true;
  /** A repeatable flag: every value is kept, in a list (the config file's list). */
  readonly repeatable?: true;
  /** What the flag's text (or the config file's value) is checked and parsed by. */
  readonly schema: S;
}

/** A group of options by flag name (`stable-after`), in --help's order. */
export type Declarations = Readonly<Record<string, OptionDeclaration>>;

/** An option with a default the schema fills in; --help says `(default X)`. */
export const withDefault = <T>(
  piece: Piece<T>,
  d: Description & { default: string; defaultNote?: string },
): OptionDeclaration<z.ZodMiniPrefault<Piece<T>>> => ({ ...d, schema: z.prefault(piece, d.default) });

/** An option whose default commander holds (`(default: "x")` in --help): the value is always there. */
export const commanderDefault = <T>(
  piece: Piece<T>,
  d: Description & { default: string },
): OptionDeclaration<Piece<T>> => ({
  ...d,
  commanderDefault: true,
  schema: piece,
});

/** An option that may be left out (the help says what that means). */
export const optional = <S extends z.ZodMiniType>(
  schema: S,
  d: Description,
): OptionDeclaration<z.ZodMiniOptional<S>> => ({
  ...d,
  schema: z.optional(schema),
});

/** An option without a default that the schema requires (its message says so). */
export const required = <S extends z.ZodMiniType>(schema: S, d: Description): OptionDeclaration<S> => ({
  ...d,
  schema,
});

/** A switch: no value, true when given. */
export const flagSwitch = (d: Omit<Description, 'value'>): OptionDeclaration<z.ZodMiniOptional<z.ZodMiniBoolean>> => ({
  ...d,
  schema: z.optional(z.boolean()),
});

const list = z.array(z.string());

/** A repeatable option: a list, empty unless given (the config file's list), read by `schema` (a list by default). */
export function repeatable(d: Description): OptionDeclaration<typeof list>;
export function repeatable<S extends z.ZodMiniType>(schema: S, d: Description): OptionDeclaration<S>;
export function repeatable(first: z.ZodMiniType | Description, d?: Description): OptionDeclaration {
  return d === undefined
    ? { ...(first as Description), repeatable: true, schema: list }
    : { ...d, repeatable: true, schema: first as z.ZodMiniType };
}

/** The zod shape of a group: each option's schema by flag name. */
export function shapeOf<D extends Declarations>(declarations: D): { [K in keyof D]: D[K]['schema'] } {
  const entries = Object.entries(declarations).map(([flag, d]) => [flag, d.schema]);
  return Object.fromEntries(entries) as { [K in keyof D]: D[K]['schema'] };
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The --help text of an option: its help and, for a default the schema fills in, `(default X)`. */
export function helpText(d: OptionDeclaration): string {
  if (d.default === undefined || d.commanderDefault === true) return d.help;
  return `${d.help} (default ${d.defaultNote ?? d.default})`;
}

/** Adds a group's options to `command`, in their order. */
export function addDeclaredOptions(command: Command, declarations: Declarations): Command {
  for (const [flag, d] of Object.entries(declarations)) {
    const name = d.value === undefined ? `--${flag}` : `--${flag} ${d.value}`;
    if (d.repeatable === true) command.option(name, helpText(d), collect, []);
    else if (d.commanderDefault === true) command.option(name, helpText(d), d.default);
    else command.option(name, helpText(d));
  }
  return command;
}

/**
 * The config keys a group reads in place of its flags (DaemonInput's `topLevel`), with their values in `config`:
 * `{ 'stable-after': ['stable_after', '10s'] }`.
 */
export function configKeysOf(
  declarations: Declarations,
  config: object,
): Record<string, readonly [key: string, value: unknown]> {
  const keys: Record<string, readonly [string, unknown]> = {};
  for (const [flag, d] of Object.entries(declarations))
    if (d.config !== undefined && d.configReadElsewhere !== true) keys[flag] = [d.config, valueAt(config, d.config)];
  return keys;
}

/** The value at a dotted key (`dns.public_name`) of the config. */
function valueAt(config: object, key: string): unknown {
  let value: unknown = config;
  for (const part of key.split('.'))
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}
