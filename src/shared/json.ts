/**
 * JSON text read against a zod schema, in one place: every reader of a stored JSON value (registry records, reports,
 * ACME keys, the lease file, the history, the embedded registry's file) parses and checks it the same way.
 */
import type * as z from 'zod/mini';
import { toValidationError } from './zod-errors.js';

/** The checked value, or why the text is not one (not JSON, or the schema's first issue). */
export type JsonRead<T> = { ok: true; value: T } | { ok: false; reason: string };

export function readJson<T>(schema: z.ZodMiniType<T>, text: string): JsonRead<T> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(data);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, reason: toValidationError(parsed.error).message };
}

/** readJson's value, or undefined: for values other programs wrote, which a reader skips and never throws on. */
export function decodeJson<T>(schema: z.ZodMiniType<T>, text: string): T | undefined {
  const read = readJson(schema, text);
  return read.ok ? read.value : undefined;
}
