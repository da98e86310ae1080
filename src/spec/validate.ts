import type { z } from 'zod';
import { ValidationError } from '../shared/errors.js';
import { serviceSchema, type ServiceSpec } from './schema.js';

/**
 * Validates raw input (CLI flags or a YAML entry) against the service schema.
 * Throws a ValidationError naming the first bad field (prefixed by `where`, e.g. `services[2].`) and its value.
 */
export function validateService(input: unknown, where = ''): Readonly<ServiceSpec> {
  const result = serviceSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw toValidationError(result.error, where);
  return Object.freeze(result.data);
}

/** Converts the first zod issue into a ValidationError with a dotted field path. */
export function toValidationError(error: z.ZodError, where = ''): ValidationError {
  const issue = error.issues[0];
  if (issue === undefined) return new ValidationError(where || 'spec', undefined, 'is invalid');
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?';
    return new ValidationError(`${where}${path ? `${path}.` : ''}${key}`, key, 'is not a known field');
  }
  return new ValidationError(`${where}${path}` || 'spec', issue.input, issue.message);
}
