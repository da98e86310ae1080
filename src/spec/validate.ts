import type { $ZodError, $ZodIssue } from 'zod/v4/core';
import { ValidationError, ValidationErrors } from '../shared/errors.js';
import { closest } from '../shared/suggest.js';
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
  const issue = error.issues[0];
  return issue === undefined ? new ValidationError(where || 'spec', undefined, 'is invalid') : fromIssue(issue, where);
}

/** Every zod issue as a ValidationError (a ValidationErrors when there are several). */
export function toValidationErrors(error: $ZodError, where = ''): ValidationError {
  const all = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => fromIssue({ ...issue, keys: [key] }, where))
      : [fromIssue(issue, where)],
  );
  return ValidationErrors.of(all) ?? new ValidationError(where || 'spec', undefined, 'is invalid');
}

/** The known keys of the object at `path` of a service spec, for "did you mean". */
const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': Object.keys(serviceSchema.shape),
  health: Object.keys(healthSchema.shape),
  probe: Object.keys(probeSchema.shape),
};

function fromIssue(issue: $ZodIssue, where: string): ValidationError {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?';
    const suggestion = closest(key, KNOWN_KEYS[path] ?? []);
    const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
    return new ValidationError(`${where}${path ? `${path}.` : ''}${key}`, key, `is not a known field${hint}`);
  }
  return new ValidationError(path ? `${where}${path}` : where.replace(/\.$/, '') || 'spec', issue.input, issue.message);
}
