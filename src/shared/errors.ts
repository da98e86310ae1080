/**
 * Typed errors with stable codes. Every code is listed in docs/errors.md; a test keeps both in sync.
 * Errors are converted to exit statuses and `--json` output once, at the CLI boundary.
 */

/** Every error code rundock can report, with the exit status it maps to. */
export const ERROR_CODES = {
  RUNDOCK_E_INVALID_SPEC: { exit: 2, summary: 'a service spec field has a bad value' },
  RUNDOCK_E_ARGS_UNKNOWN_FLAG: { exit: 2, summary: 'args contains a docker run flag rundock does not support' },
  RUNDOCK_E_ARGS_INVALID: { exit: 2, summary: 'args is malformed: a flag value, a missing value or a stray word' },
  RUNDOCK_E_ARGS_SHELL: {
    exit: 2,
    summary: 'args contains shell syntax (operators, substitutions, unknown variables)',
  },
  RUNDOCK_E_USAGE: { exit: 2, summary: 'the command line itself is wrong (missing or unknown option)' },
  RUNDOCK_E_CONFIG: { exit: 2, summary: 'the config file or the services file cannot be read or is invalid' },
  RUNDOCK_E_HOST_ADDRESS: { exit: 2, summary: 'a host address ($PRIVATE_IP/$PUBLIC_IP) is needed but unknown' },
  RUNDOCK_E_PORT_IN_USE: {
    exit: 2,
    summary: 'a host port the service publishes is already in use on this host (found before anything changed)',
  },
  RUNDOCK_E_ADDRESS_MISMATCH: {
    exit: 2,
    summary: "an address given to the command differs from the one the host's agent announces",
  },
  RUNDOCK_E_ROUTE_CONFLICT: {
    exit: 2,
    summary: 'a route of the service is already served by another service (found before anything changed)',
  },
  RUNDOCK_E_NOT_FOUND: { exit: 1, summary: 'the service is not deployed on this host' },
  RUNDOCK_E_NOT_RUNNING: { exit: 1, summary: "the service's container is not running (exec needs it running)" },
  RUNDOCK_E_FOREIGN_CONTAINER: {
    exit: 1,
    summary: 'a container with the service name exists that rundock did not create',
  },
  RUNDOCK_E_IMAGE_MISSING: { exit: 1, summary: 'the image is not present and the pull policy is never' },
  RUNDOCK_E_PULL_FAILED: { exit: 1, summary: 'pulling the image failed' },
  RUNDOCK_E_DOCKER: { exit: 1, summary: 'the Docker engine refused or failed a request' },
  RUNDOCK_E_DOCKER_UNREACHABLE: { exit: 1, summary: 'the Docker engine cannot be reached' },
  RUNDOCK_E_START_FAILED: { exit: 1, summary: 'the container did not stay running after start' },
  RUNDOCK_E_UNHEALTHY: { exit: 1, summary: 'the container did not become healthy in time' },
  RUNDOCK_E_GATEWAY_TIMEOUT: {
    exit: 1,
    summary: 'a gateway did not serve a new instance (or drop an old one) in time during a redeploy',
  },
  RUNDOCK_E_AGENT: { exit: 1, summary: "the host's agent stopped answering during a redeploy" },
  RUNDOCK_E_NO_ROLLBACK: { exit: 2, summary: 'there is no earlier generation of the service to roll back to' },
  RUNDOCK_E_DEPLOY_IN_PROGRESS: {
    exit: 2,
    summary: 'another deploy of the service is under way on this host (refused before anything changed)',
  },
  RUNDOCK_E_AGENT_RUNNING: { exit: 2, summary: 'another rundock agent runs on this Docker engine' },
  RUNDOCK_E_HISTORY: { exit: 1, summary: "a service's history file cannot be read or holds no valid history" },
  RUNDOCK_E_REGISTRY_UNAVAILABLE: {
    exit: 1,
    summary: 'the registry (etcd, or the embedded registry state file) cannot be reached or written',
  },
  RUNDOCK_E_ETCD_TLS: {
    exit: 1,
    summary:
      'the TLS handshake with etcd failed: its certificate is not trusted, or it rejected the client certificate',
  },
  RUNDOCK_E_ETCD_AUTH: {
    exit: 1,
    summary: 'etcd refused the user and password, requires them, or denied the user a request',
  },
  RUNDOCK_E_PUBLIC_ZONE: {
    exit: 1,
    summary: "the public zone's primary did not take an update (TSIG key, its ACL, or out of reach); retried",
  },
  RUNDOCK_E_LISTEN: { exit: 1, summary: 'an address to listen on is in use, not on this host, or needs privileges' },
  RUNDOCK_E_INTERNAL: { exit: 1, summary: 'an unexpected failure (a bug): the message and the log tell what happened' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base class: a stable code, an exit status derived from it, optional details for `--json`. */
export class RundockError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RundockError';
    this.code = code;
    this.details = options.details ?? {};
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}

/** Bad input: names the field and the value; always exit status 2 and no change made. */
export class ValidationError extends RundockError {
  readonly field: string;
  readonly value: unknown;
  readonly reason: string;

  constructor(field: string, value: unknown, reason: string, code: ErrorCode = 'RUNDOCK_E_INVALID_SPEC') {
    super(code, `${field}: ${reason} (got ${formatValue(value)})`, { details: { field, value } });
    this.name = 'ValidationError';
    this.field = field;
    this.value = value;
    this.reason = reason;
  }

  /** The same error for a field inside something larger (`services[2].` + `args`). */
  within(prefix: string): ValidationError {
    return new ValidationError(`${prefix}${this.field}`, this.value, this.reason, this.code);
  }
}

/**
 * Several pieces of bad input found at once (every error of a services file, every bad field of a spec): the first
 * one's code, field and value, and every message, one a line. Exit status 2, nothing changed.
 */
export class ValidationErrors extends ValidationError {
  constructor(readonly errors: readonly ValidationError[]) {
    const [first] = errors;
    if (first === undefined) throw new Error('ValidationErrors needs at least one error');
    super(first.field, first.value, first.reason, first.code);
    this.name = 'ValidationErrors';
    if (errors.length > 1) {
      this.message = errors.map((e) => e.message).join('\n');
      this.details.errors = errors.map((e) => ({ code: e.code, field: e.field, value: e.value, message: e.message }));
    }
  }

  /** One error as is, several as a ValidationErrors; undefined for none. */
  static of(errors: readonly ValidationError[]): ValidationError | undefined {
    return errors.length <= 1 ? errors[0] : new ValidationErrors(errors);
  }

  /** Every single error inside `error` (itself, unless it holds several). */
  static flatten(error: ValidationError): readonly ValidationError[] {
    return error instanceof ValidationErrors ? error.errors : [error];
  }

  override within(prefix: string): ValidationError {
    return new ValidationErrors(this.errors.map((e) => e.within(prefix)));
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  // JSON.stringify gives undefined only for functions and symbols, which never reach here as input.
  return JSON.stringify(value) ?? typeof value;
}

/** The message of an error, or the value as text (a string thrown or rejected). */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
}
