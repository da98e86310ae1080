/** Errors of the registry layer. */
import { RundockError, ValidationError } from '../shared/errors.js';

/**
 * The registry cannot be reached (etcd down, unreachable, timing out) or, for the embedded registry, its state file
 * cannot be written. Always retryable: nothing is lost, the registry keeps the desired set and the next successful
 * sync (or its own recovery) writes it. `cause` is the underlying error.
 */
export class RegistryUnavailableError extends RundockError {
  /** Retrying later can succeed; callers back off and retry instead of failing. */
  readonly retryable = true;

  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('RUNDOCK_E_REGISTRY_UNAVAILABLE', message, options);
    this.name = 'RegistryUnavailableError';
  }
}

/**
 * A record that is not valid SkyDNS JSON, or a record rundock was asked to write that DNS servers would misread.
 * `field` is the JSON field at fault (`record` for the whole text), `value` the offending value.
 */
export class RecordError extends ValidationError {
  constructor(field: string, value: unknown, reason: string) {
    super(field, value, reason);
    this.name = 'RecordError';
  }
}

/** True for errors that say "try again later" (`retryable === true`), from this layer or any other. */
export function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'retryable' in error && error.retryable === true;
}
