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
  RUNDOCK_E_NOT_FOUND: { exit: 1, summary: 'the service is not deployed on this host' },
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

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  return JSON.stringify(value) ?? String(value);
}
