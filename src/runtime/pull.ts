import type Docker from 'dockerode';
import { messageOf, RundockError } from '../shared/errors.js';
import { engineError } from './docker-errors.js';
import { pullAuth } from './registry-auth.js';

/** One line of the engine's pull progress stream. */
export interface PullEvent {
  id?: string;
  status?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Pulls `ref` (with the credentials `docker login` left for its registry, see registry-auth.ts), reporting each
 * progress event. The engine reports some failures (unknown manifest, auth, a broken
 * layer) inside a stream that still ends normally, so every event is checked for an error, not just the HTTP status.
 */
export async function pullImage(
  engine: Docker,
  ref: string,
  onEvent: (event: PullEvent) => void = () => {},
  endpoint?: string,
): Promise<void> {
  const authconfig = await pullAuth(ref);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await engine.pull(ref, authconfig === undefined ? {} : { authconfig });
  } catch (error) {
    const converted = engineError(`pull ${ref}`, error, endpoint);
    // The engine not answering is not a failed pull: say what it is (start dockerd, or fix DOCKER_HOST).
    if (converted.code === 'RUNDOCK_E_DOCKER_UNREACHABLE') throw converted;
    throw pullFailed(ref, converted.message, error);
  }
  let streamError: string | undefined;
  await new Promise<void>((resolve, reject) => {
    engine.modem.followProgress(
      stream,
      (error: unknown) => (error ? reject(pullFailed(ref, messageOf(error), error)) : resolve()),
      (event: PullEvent) => {
        const message = event.errorDetail?.message ?? event.error;
        if (message !== undefined) streamError ??= message;
        else onEvent(event);
      },
    );
  });
  if (streamError !== undefined) throw pullFailed(ref, streamError);
}

function pullFailed(ref: string, message: string, cause?: unknown): RundockError {
  return new RundockError('RUNDOCK_E_PULL_FAILED', `pulling ${ref} failed: ${message}`, {
    cause,
    details: { image: ref },
  });
}
