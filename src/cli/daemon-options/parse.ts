import type * as z from 'zod/mini';
import { ValidationErrors } from '../../shared/errors.js';
import { toValidationErrors } from '../../shared/zod-errors.js';
import type { DaemonInput } from '../config-flags.js';

/**
 * Checks every option of `input` against `schema` at once: every bad one is reported (one error a line), each
 * named by its flag or by the config key it came from; exit status 2.
 */
export function parseOptions<S extends z.ZodMiniType>(schema: S, input: DaemonInput): z.output<S> {
  const result = schema.safeParse(input.values, { reportInput: true });
  if (result.success) return result.data;
  const errors = ValidationErrors.flatten(toValidationErrors(result.error)).map((e) => input.renamed(e));
  throw new ValidationErrors(errors);
}
