import { RundockError } from '../shared/errors.js';

interface EngineError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  message?: string;
}

/** The HTTP status of an Engine API error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  return (error as EngineError | null)?.statusCode;
}

const UNREACHABLE = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPROTO',
]);

/** Connection failures, TLS handshake and certificate failures included: the request never reached the engine. */
function isUnreachable(code: string | undefined): boolean {
  return code !== undefined && (UNREACHABLE.has(code) || /CERT|SELF_SIGNED|TLS|SSL|SIGNATURE|HOSTNAME/.test(code));
}

/**
 * Converts a dockerode/docker-modem error into a RundockError, once, at the runtime boundary.
 * @param endpoint the engine's address as the environment gave it, named when it cannot be reached.
 */
export function engineError(what: string, error: unknown, endpoint?: string): RundockError {
  if (error instanceof RundockError) return error;
  const e = (error ?? {}) as EngineError;
  if (isUnreachable(e.code)) {
    const at = endpoint === undefined ? '' : ` at ${endpoint}`;
    return new RundockError(
      'RUNDOCK_E_DOCKER_UNREACHABLE',
      `cannot reach the Docker engine${at}: ${e.code}${e.message ? ` (${e.message})` : ''}; is dockerd running, and DOCKER_HOST right?`,
      { cause: error, details: { endpoint } },
    );
  }
  const message = e.json?.message ?? e.message ?? String(error);
  return new RundockError('RUNDOCK_E_DOCKER', `${what}: ${message.trim()}`, {
    cause: error,
    details: { status: e.statusCode },
  });
}
