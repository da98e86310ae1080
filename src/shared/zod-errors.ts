/**
 * zod issues as ValidationErrors, for every schema that checks input at the edge (the service spec, the daemons'
 * options): each issue names its field by the path of the value in the input, and the value itself.
 */
import type { $ZodError, $ZodIssue } from 'zod/v4/core';
import { ValidationError, ValidationErrors } from './errors.js';
import { closest } from './suggest.js';

/** How the fields are named: `where` prefixes every path; `knownKeys` lists the keys of an object, for "did you mean". */
export interface IssueNaming {
  readonly where?: string;
  readonly knownKeys?: (path: string) => readonly string[] | undefined;
}

/** Every zod issue as a ValidationError (a ValidationErrors when there are several). */
export function toValidationErrors(error: $ZodError, naming: IssueNaming = {}): ValidationError {
  const where = naming.where ?? '';
  const all = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => fromIssue({ ...issue, keys: [key] }, naming))
      : [fromIssue(issue, naming)],
  );
  return ValidationErrors.of(all) ?? new ValidationError(where || 'spec', undefined, 'is invalid');
}

/** Converts the first zod issue into a ValidationError with a dotted field path. */
export function toValidationError(error: $ZodError, naming: IssueNaming = {}): ValidationError {
  const issue = error.issues[0];
  return issue === undefined
    ? new ValidationError(naming.where || 'spec', undefined, 'is invalid')
    : fromIssue(issue, naming);
}

function fromIssue(issue: $ZodIssue, naming: IssueNaming): ValidationError {
  const where = naming.where ?? '';
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?';
    const suggestion = closest(key, naming.knownKeys?.(path) ?? []);
    const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
    return new ValidationError(`${where}${path ? `${path}.` : ''}${key}`, key, `is not a known field${hint}`);
  }
  return new ValidationError(path ? `${where}${path}` : where.replace(/\.$/, '') || 'spec', issue.input, issue.message);
}
