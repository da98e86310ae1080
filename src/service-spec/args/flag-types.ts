/** The flag table's types: each `docker run` flag rundock knows, with how it reads its value and what it sets. */
import type { CreateBody } from '../run-options.js';

/** What the flags build up while args are read. */
export interface ParseState {
  readonly body: CreateBody;
  readonly envFiles: string[];
  /** `-e KEY` entries whose value came from rundock's environment: secret, like env-file values. */
  readonly inheritedEnv: string[];
  /** Single-value flags already given, to refuse a second one. */
  readonly seen: Set<FlagDef>;
}

interface FlagBase {
  /** Every spelling, e.g. `['-e', '--env']`; the first long name is the canonical one. */
  readonly names: readonly string[];
}

/** A flag with a value (`--flag V`, `--flag=V`, `-xV`); a repeatable one accumulates. */
export interface ValueFlag extends FlagBase {
  readonly kind: 'value';
  readonly repeatable?: boolean;
  /** Whether an empty value is meaningful (as for `--entrypoint ""`). */
  readonly allowEmpty?: boolean;
  apply(state: ParseState, value: string, flag: string): void;
}

/** A switch: `--flag` or `--flag=true|false`. */
export interface BoolFlag extends FlagBase {
  readonly kind: 'bool';
  apply(state: ParseState, on: boolean, flag: string): void;
}

/** A `docker run` flag rundock refuses, with the reason shown to the user. */
export interface ForbiddenFlag extends FlagBase {
  readonly kind: 'forbidden';
  readonly reason: string;
}

export type FlagDef = ValueFlag | BoolFlag | ForbiddenFlag;

/** A value flag setting one field from its parsed value. */
export function valueFlag(
  names: readonly string[],
  apply: ValueFlag['apply'],
  options: { repeatable?: boolean; allowEmpty?: boolean } = {},
): ValueFlag {
  return { names, kind: 'value', apply, ...options };
}

/** A repeatable value flag. */
export function listFlag(names: readonly string[], apply: ValueFlag['apply']): ValueFlag {
  return valueFlag(names, apply, { repeatable: true });
}

/** A switch. */
export function boolFlag(names: readonly string[], apply: BoolFlag['apply']): BoolFlag {
  return { names, kind: 'bool', apply };
}
