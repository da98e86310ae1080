import { CommanderError } from 'commander';
import { RundockError, ValidationError } from '../shared/errors.js';

/** Prints either JSON (one document on stdout) or human text. */
export interface Output {
  json: boolean;
  print(human: string, data: unknown): void;
}

export function makeOutput(json: boolean): Output {
  return {
    json,
    print(human, data) {
      process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`);
    },
  };
}

/** Converts any error into its exit status and prints it: JSON on stdout with --json, else a message on stderr. */
export function reportError(error: unknown, json: boolean): number {
  const e = toRundockError(error);
  if (json) {
    const field = e instanceof ValidationError ? { field: e.field, value: e.value } : {};
    const { changed, ...details } = e.details;
    const body = {
      changed: changed === true,
      failed: true,
      error: { code: e.code, message: e.message, ...field, ...details },
    };
    process.stdout.write(`${JSON.stringify(body)}\n`);
  } else {
    process.stderr.write(`rundock: ${e.message} [${e.code}]\n`);
  }
  return e.exitCode;
}

function toRundockError(error: unknown): RundockError {
  if (error instanceof RundockError) return error;
  if (error instanceof CommanderError)
    return new RundockError('RUNDOCK_E_USAGE', error.message.replace(/^error: /, ''));
  const message = error instanceof Error ? error.message : String(error);
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (code !== undefined && LISTEN_ERRORS.has(code) && (syscall === 'bind' || syscall === 'listen')) {
    return new RundockError('RUNDOCK_E_LISTEN', `cannot listen: ${message}`, { cause: error });
  }
  return new RundockError('RUNDOCK_E_INTERNAL', message, { cause: error });
}

/** Socket errors of a bind or listen: the address is taken, not this host's, or privileged. */
const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES']);
