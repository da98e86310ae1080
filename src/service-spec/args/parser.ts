/** Reads words as `docker run` options (pflag style) and applies each flag from the table. */
import { invalid, unknownFlag } from './fail.js';
import type { FlagDef, ParseState } from './flag-types.js';
import { CONTAINER_FLAGS } from './flags-container.js';
import { HEALTH_FLAGS, SESSION_FLAGS } from './flags-health.js';
import { HOST_FLAGS } from './flags-host.js';
import { RESOURCE_FLAGS } from './flags-resources.js';
import { STORAGE_FLAGS } from './flags-storage.js';
import { parseBool } from './values.js';

/** Every flag rundock knows, in table order. */
export const FLAGS: readonly FlagDef[] = [
  ...CONTAINER_FLAGS,
  ...RESOURCE_FLAGS,
  ...HOST_FLAGS,
  ...STORAGE_FLAGS,
  ...HEALTH_FLAGS,
  ...SESSION_FLAGS,
];

const BY_NAME: ReadonlyMap<string, FlagDef> = new Map(
  FLAGS.flatMap((def) => def.names.map((name) => [name, def] as const)),
);

interface Cursor {
  readonly words: readonly string[];
  pos: number;
}

function next(cursor: Cursor): string | undefined {
  const word = cursor.words[cursor.pos];
  if (word !== undefined) cursor.pos += 1;
  return word;
}

/** Applies every word as a flag: `--flag V`, `--flag=V`, `-x V`, `-xV`, `-x=V`, and clusters of short switches (`-dx`). */
export function applyFlags(words: readonly string[], state: ParseState): void {
  const cursor: Cursor = { words, pos: 0 };
  for (let word = next(cursor); word !== undefined; word = next(cursor)) {
    if (word.startsWith('--') && word.length > 2) applyLong(word, cursor, state);
    else if (word.startsWith('-') && word.length > 1 && word !== '--') applyShort(word, cursor, state);
    else
      throw invalid(word, `unexpected word "${word}": args holds docker run options only (the command goes in --cmd)`);
  }
}

function lookup(name: string, word: string): FlagDef {
  const def = BY_NAME.get(name);
  if (def === undefined) throw unknownFlag(name, word);
  return def;
}

function applyLong(word: string, cursor: Cursor, state: ParseState): void {
  const eq = word.indexOf('=');
  const name = eq < 0 ? word : word.slice(0, eq);
  apply(lookup(name, word), name, eq < 0 ? undefined : word.slice(eq + 1), word, cursor, state);
}

/** A short flag, or a cluster: switches apply one by one; a flag with a value takes the rest of the word or the next one. */
function applyShort(word: string, cursor: Cursor, state: ParseState): void {
  let rest = word.slice(1);
  while (rest.length > 0) {
    const name = `-${rest.charAt(0)}`;
    rest = rest.slice(1);
    const def = lookup(name, word);
    if (rest.startsWith('=')) return apply(def, name, rest.slice(1), word, cursor, state);
    if (def.kind === 'value') return apply(def, name, rest === '' ? undefined : rest, word, cursor, state);
    apply(def, name, undefined, word, cursor, state);
  }
}

function apply(
  def: FlagDef,
  name: string,
  inline: string | undefined,
  word: string,
  cursor: Cursor,
  state: ParseState,
): void {
  if (def.kind === 'forbidden') throw invalid(word, `${name} is not allowed: ${def.reason}`);
  if (def.kind === 'bool') return def.apply(state, inline === undefined ? true : parseBool(inline, name), name);
  if (!def.repeatable && state.seen.has(def)) throw invalid(word, `${name} is given more than once; give it once`);
  state.seen.add(def);
  const value = inline ?? next(cursor);
  if (value === undefined) throw invalid(word, `${name} needs a value`);
  if (value === '' && def.allowEmpty !== true) throw invalid(word, `${name} needs a non-empty value`);
  def.apply(state, value, name);
}
