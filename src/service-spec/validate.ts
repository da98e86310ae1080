import type { $ZodError } from 'zod/v4/core';
import type { ValidationError } from '../shared/errors.js';
import { toValidationError as firstError, toValidationErrors as allErrors } from '../shared/zod-errors.js';
import { healthSchema, probeSchema, serviceSchema, type ServiceSpec, type State } from './schema.js';

/**
 * Validates raw input (CLI flags or a YAML entry) against the service schema.
 * Throws a ValidationError naming the bad field (prefixed by `where`, e.g. `services.web.`) and its value; with
 * several bad fields, a ValidationErrors holding all of them.
 */
export function validateService(input: unknown, where = ''): Readonly<ServiceSpec> {
  const result = serviceSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw toValidationErrors(result.error, where);
  return Object.freeze(result.data);
}

/**
 * A spec naming only the service and its state, for the commands that act on the container as it is (a bare
 * `enable NAME` starts it with the spec it carries). Validates the name; the image is not required.
 */
export function bareService(name: string, state: State, extra: Record<string, unknown> = {}): Readonly<ServiceSpec> {
  return Object.freeze({ ...validateService({ ...extra, name, state: 'absent' }), state });
}

/** Converts the first zod issue into a ValidationError with a dotted field path. */
export function toValidationError(error: $ZodError, where = ''): ValidationError {
  return firstError(error, { where, knownKeys: (path) => KNOWN_KEYS[path] });
}

/** Every zod issue as a ValidationError (a ValidationErrors when there are several). */
export function toValidationErrors(error: $ZodError, where = ''): ValidationError {
  return allErrors(error, { where, knownKeys: (path) => KNOWN_KEYS[path] });
}

/** The known keys of the object at `path` of a service spec, for "did you mean". */
const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': Object.keys(serviceSchema.shape),
  health: Object.keys(healthSchema.shape),
  probe: Object.keys(probeSchema.shape),
};
