/** Error constructors for args parsing: every error names the field and the offending token. */
import { ValidationError } from '../../shared/errors.js';

/** RUNDOCK_E_ARGS_INVALID on field `args`: a bad flag value, a missing value, a stray word or a forbidden flag. */
export function invalid(token: string, reason: string): ValidationError {
  return new ValidationError('args', token, reason, 'RUNDOCK_E_ARGS_INVALID');
}

/** RUNDOCK_E_ARGS_UNKNOWN_FLAG on field `args`, naming the flag as written. */
export function unknownFlag(name: string, token: string): ValidationError {
  return new ValidationError('args', token, `unknown flag "${name}"`, 'RUNDOCK_E_ARGS_UNKNOWN_FLAG');
}

/** RUNDOCK_E_ARGS_SHELL: shell syntax that rundock refuses because no shell ever runs. */
export function shellSyntax(field: string, token: string, reason: string): ValidationError {
  return new ValidationError(field, token, reason, 'RUNDOCK_E_ARGS_SHELL');
}

/** RUNDOCK_E_HOST_ADDRESS: `$PRIVATE_IP` or `$PUBLIC_IP` is used but this host's address is not known. */
export function hostAddressUnknown(
  field: string,
  token: string,
  variable: 'PRIVATE_IP' | 'PUBLIC_IP',
): ValidationError {
  const which = variable === 'PRIVATE_IP' ? 'private' : 'public';
  return new ValidationError(
    field,
    token,
    `uses $${variable} but this host's ${which} address is unknown; set --${which}-ip or RUNDOCK_${variable}`,
    'RUNDOCK_E_HOST_ADDRESS',
  );
}
