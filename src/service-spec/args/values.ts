/** Parsers for flag values: sizes, CPU counts, integers, booleans, Go durations, key=value pairs and paths. */
import { ValidationError } from '../../shared/errors.js';
import { invalid } from './fail.js';

const SIZE = /^(\d+(?:\.\d+)?) ?(?:([kmgtp])i?)?b?$/i;
const UNIT_POWER: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5 };
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/gy;
const DURATION_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/**
 * Bytes from a size like `512m`, `1.5g`, `512MB`, `64k` or `1024` (binary units b, k, m, g, t, p; case-insensitive),
 * as `docker run -m` reads it.
 */
export function parseBytes(value: string, flag: string): number {
  const match = SIZE.exec(value);
  const unit = match?.[2]?.toLowerCase();
  const bytes =
    match === null ? NaN : Math.trunc(Number(match[1]) * 1024 ** (unit === undefined ? 0 : (UNIT_POWER[unit] ?? 0)));
  if (!Number.isSafeInteger(bytes))
    throw invalid(value, `${flag} expects a size in bytes with an optional unit b, k, m or g, like 512m or 1g`);
  return bytes;
}

/** Nano-CPUs from a CPU count like `1.5` (at most 9 decimals), as `docker run --cpus` computes NanoCpus. */
export function parseCpus(value: string, flag: string): number {
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (match === null) throw invalid(value, `${flag} expects a number of CPUs like 1.5 (at most 9 decimals)`);
  const nanos = Number(match[1]) * 1e9 + Number((match[2] ?? '').padEnd(9, '0'));
  if (!Number.isSafeInteger(nanos)) throw invalid(value, `${flag} is too large`);
  return nanos;
}

/** An integer no lower than `min`. */
export function parseInteger(value: string, flag: string, min: number): number {
  const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw invalid(value, `${flag} expects an integer of at least ${min}`);
  return n;
}

/** A boolean flag value: `true` or `false` (also `1`/`0`), as in `--read-only=false`. */
export function parseBool(value: string, flag: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw invalid(value, `${flag} is a switch: give it alone or as ${flag}=true or ${flag}=false`);
}

/** Nanoseconds of a Go duration (`1s`, `500ms`, `1m30s`, `1.5h`, `0`); undefined when `text` is not one. */
export function goDurationNanos(text: string): number | undefined {
  if (text === '0') return 0;
  let total = 0n;
  let end = 0;
  DURATION_PART.lastIndex = 0;
  for (let m = DURATION_PART.exec(text); m !== null; m = DURATION_PART.exec(text)) {
    const [whole = '0', fraction = ''] = (m[1] ?? '').split('.');
    const unit = DURATION_UNIT[m[2] ?? ''] ?? 0n;
    total += BigInt(whole || '0') * unit + (BigInt(fraction || '0') * unit) / 10n ** BigInt(fraction.length);
    end = DURATION_PART.lastIndex;
  }
  if (end === 0 || end !== text.length || total > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(total);
}

/**
 * Nanoseconds of a Go duration such as `5s`, `500ms` or `1m30s` (units ns, us, ms, s, m, h), as Docker's health flags take.
 * @param field the spec field named in the error; `args` errors use RUNDOCK_E_ARGS_INVALID, others RUNDOCK_E_INVALID_SPEC.
 * @throws ValidationError when `text` is not a duration.
 */
export function durationNanos(text: string, field = 'args'): number {
  const nanos = goDurationNanos(text);
  if (nanos !== undefined) return nanos;
  const code = field === 'args' ? 'RUNDOCK_E_ARGS_INVALID' : 'RUNDOCK_E_INVALID_SPEC';
  throw new ValidationError(field, text, 'must be a duration like 5s, 500ms or 1m30s', code);
}

/** A flag's duration value in nanoseconds. */
export function parseDuration(value: string, flag: string): number {
  const nanos = goDurationNanos(value);
  if (nanos === undefined) throw invalid(value, `${flag} expects a duration like 5s, 500ms or 1m30s`);
  return nanos;
}

/** Splits `KEY=VALUE` at the first `=`; the key must not be empty. `what` describes the expected form. */
export function splitKeyValue(value: string, flag: string, what = 'KEY=VALUE'): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw invalid(value, `${flag} expects ${what}`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** Checks that a path is absolute (starts with `/`). */
export function requireAbsolute(path: string, flag: string, what: string): string {
  if (!path.startsWith('/')) throw invalid(path, `${flag}: ${what} must be an absolute path`);
  return path;
}

/** Appends to a list field that may be absent (Engine API lists typed loosely by dockerode). */
export function appended<T>(current: unknown, ...items: T[]): T[] {
  return [...((current as T[] | undefined) ?? []), ...items];
}
