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

/** Converts a dockerode/docker-modem error into a RundockError, once, at the runtime boundary. */
export function engineError(what: string, error: unknown): RundockError {
  if (error instanceof RundockError) return error;
  const e = (error ?? {}) as EngineError;
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES') {
    return new RundockError('RUNDOCK_E_DOCKER_UNREACHABLE', `cannot reach the Docker engine (${e.code}): is dockerd running and DOCKER_HOST right?`, { cause: error });
  }
  const message = e.json?.message ?? e.message ?? String(error);
  return new RundockError('RUNDOCK_E_DOCKER', `${what}: ${message.trim()}`, { cause: error, details: { status: e.statusCode } });
}
