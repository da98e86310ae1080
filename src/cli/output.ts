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
  if (error instanceof CommanderError) return usageError(error);
  const message = error instanceof Error ? error.message : String(error);
  const { code, syscall, address, port } = (error ?? {}) as NodeJS.ErrnoException & { address?: string; port?: number };
  if (code !== undefined && LISTEN_ERRORS.has(code) && (syscall === 'bind' || syscall === 'listen')) {
    const where =
      address === undefined
        ? ''
        : ` on ${address.includes(':') ? `[${address}]` : address}${port === undefined ? '' : `:${port}`}`;
    return new RundockError('RUNDOCK_E_LISTEN', `cannot listen${where}: ${LISTEN_REASONS[code] ?? message} (${code})`, {
      cause: error,
      details: { address, port },
    });
  }
  return new RundockError('RUNDOCK_E_INTERNAL', message, { cause: error });
}

/**
 * Commander's message on one line: `unknown option '--imgae' (did you mean --image?)`, and where to look for the
 * command's options.
 */
function usageError(error: CommanderError): RundockError {
  const [first = '', ...rest] = error.message.replace(/^error: /, '').split('\n');
  const hint = rest
    .map((line) => line.trim().replace(/^\(Did you mean/, '(did you mean'))
    .filter(Boolean)
    .join(' ');
  return new RundockError('RUNDOCK_E_USAGE', [first, hint].filter(Boolean).join(' '), {
    details: { commander_code: error.code },
  });
}

/** Socket errors of a bind or listen: the address is taken, not this host's, or privileged. */
const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES']);
const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (ss -lntup shows by what)',
  EADDRNOTAVAIL: 'the address is not one of this host',
  EACCES: 'a port below 1024 needs privileges',
};
