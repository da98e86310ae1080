/**
 * Splits a string into words as a POSIX shell would, without ever running one (shell-quote does the quoting rules).
 * Only $PRIVATE_IP and $PUBLIC_IP are expanded; every other piece of shell syntax is an error.
 */
import { parse, type ParseEntry } from 'shell-quote';
import type { HostVars } from '../run-options.js';
import { ValidationError } from '../../shared/errors.js';
import { hostAddressUnknown, shellSyntax } from './fail.js';

const OPEN = '\u0000VAR:';
const CLOSE = '\u0000';
// NUL marks a variable: no argument text can hold one (execve arguments are C strings).
// eslint-disable-next-line no-control-regex
const SENTINEL = /\u0000VAR:([^\u0000]*)\u0000/g;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOST_VARS = ['PRIVATE_IP', 'PUBLIC_IP'] as const;

/**
 * Tokenises `text` into words: quotes and backslashes work, `$PRIVATE_IP`/`$PUBLIC_IP` (and `${...}`) expand to `vars`.
 * @param field the spec field named in errors (`args`, `cmd`).
 * @throws ValidationError RUNDOCK_E_ARGS_SHELL for operators, substitutions, backticks, comments or other variables;
 *   RUNDOCK_E_HOST_ADDRESS when a host variable is used but undefined.
 */
export function tokenize(text: string, vars: HostVars, field = 'args'): string[] {
  if (text.includes('\u0000')) {
    throw new ValidationError(
      field,
      text,
      'contains a NUL character',
      field === 'args' ? 'RUNDOCK_E_ARGS_INVALID' : 'RUNDOCK_E_INVALID_SPEC',
    );
  }
  const entries = parse(
    joinContinuedLines(text),
    (name: string) => (isHostVar(name) ? vars[name] : undefined) ?? OPEN + name + CLOSE,
  );
  return entries.map((entry) => checkWord(wordOf(entry, field), field, vars));
}

/** Removes backslash-newline outside single quotes, as a shell does (shell-quote would leave an empty word). */
function joinContinuedLines(text: string): string {
  let out = '';
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charAt(i);
    if (c === '\\' && quote !== "'") {
      const escaped = text.charAt(i + 1);
      if (escaped !== '\n') out += c + escaped;
      i += 1;
      continue;
    }
    if ((c === "'" || c === '"') && (quote === undefined || quote === c)) quote = quote === undefined ? c : undefined;
    out += c;
  }
  return out;
}

function isHostVar(name: string): name is (typeof HOST_VARS)[number] {
  return (HOST_VARS as readonly string[]).includes(name);
}

/** The literal word of an entry; operators and comments are errors. A glob is taken literally. */
function wordOf(entry: ParseEntry, field: string): string {
  if (typeof entry === 'string') return entry;
  if ('comment' in entry) {
    throw shellSyntax(
      field,
      `#${entry.comment}`,
      "'#' starts a shell comment here; quote values containing '#' (e.g. 'a#b')",
    );
  }
  if (entry.op === 'glob') return entry.pattern;
  throw shellSyntax(
    field,
    entry.op,
    `shell operator "${entry.op}" is not allowed: nothing runs in a shell; quote it to pass it literally`,
  );
}

/** Rejects backticks and unexpanded variables in a word; returns the word when it is clean. */
function checkWord(word: string, field: string, vars: HostVars): string {
  if (word.includes('`'))
    throw shellSyntax(
      field,
      display(word),
      'backticks (command substitution) are not allowed: nothing runs in a shell',
    );
  for (const match of word.matchAll(SENTINEL)) {
    const name = match[1] ?? '';
    const after = word.slice((match.index ?? 0) + match[0].length);
    if (isHostVar(name) && vars[name] === undefined) throw hostAddressUnknown(field, display(word), name);
    if (name === '' && after.startsWith('(')) {
      throw shellSyntax(field, display(word), 'command substitution $(...) is not allowed: nothing runs in a shell');
    }
    if (name === '')
      throw shellSyntax(
        field,
        display(word),
        "a bare '$' is not allowed; quote it in single quotes to pass it literally",
      );
    throw shellSyntax(
      field,
      display(word),
      `${varText(name)} is not expanded: only $PRIVATE_IP and $PUBLIC_IP are expanded; quote it in single quotes to pass it literally`,
    );
  }
  return word;
}

/** A word as the user wrote it, with variable placeholders turned back into `$NAME`. */
function display(word: string): string {
  return word.replace(SENTINEL, (_all, name: string) => (name === '' ? '$' : varText(name)));
}

function varText(name: string): string {
  return IDENTIFIER.test(name) || /^\d$/.test(name) ? `$${name}` : `\${${name}}`;
}
