/**
 * The web UI's options, validated once at the edge and frozen: where it listens, the token that guards it, the
 * domain it shows. Loopback needs no token; any other address refuses to start without one (docs/security.md).
 */
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import * as z from 'zod';
import { domainLabels } from '../registry/path.js';
import { ValidationError } from '../shared/errors.js';
import { toValidationError } from '../shared/zod-errors.js';

/** Where the UI listens unless told otherwise (loopback: no token needed). */
export const DEFAULT_UI_LISTEN = '127.0.0.1:9480';
/** The environment variable holding the token when no --ui-token-file is given. */
export const TOKEN_ENV = 'RUNDOCK_UI_TOKEN';
/** A token shorter than this is refused: it guards a page that maps the whole cluster. */
export const MIN_TOKEN_LENGTH = 16;

export interface UiOptions {
  readonly domain: string;
  readonly listen: { readonly host: string; readonly port: number };
  /** Required (and checked on every request) unless listening on loopback; with it, loopback requests need it too. */
  readonly token?: string | undefined;
}

/** The options as given; `listenFlag` names the listen option in errors (`listen` for `rundock ui`, `ui` for the agent). */
export interface UiFlags {
  domain: string;
  listen: string;
  tokenFile?: string | undefined;
  listenFlag?: string;
}

const schema = z.strictObject({
  domain: z.string().refine(isDomain, 'must be a domain of lowercase DNS labels, e.g. s.prod.example.com'),
  listen: z
    .string()
    .regex(/^(?:\[[0-9a-fA-F:.]+\]|[^:[\]]+):\d{1,5}$/, 'must be ADDRESS:PORT (IPv6 in brackets)')
    .refine((text) => Number(text.slice(text.lastIndexOf(':') + 1)) <= 65535, 'must have a port from 0 to 65535'),
  'ui-token-file': z.string().min(1, 'must name a file').optional(),
});

/** Validates the flags (and RUNDOCK_UI_TOKEN), reads the token file; throws a ValidationError naming the flag. */
export function uiOptions(flags: UiFlags, env: NodeJS.ProcessEnv = process.env): Readonly<UiOptions> {
  const listenFlag = flags.listenFlag ?? 'listen';
  const input = { domain: flags.domain, listen: flags.listen, 'ui-token-file': flags.tokenFile };
  const parsed = schema.safeParse(JSON.parse(JSON.stringify(input)), { reportInput: true });
  if (!parsed.success) {
    const error = toValidationError(parsed.error);
    throw error.field === 'listen' ? new ValidationError(listenFlag, error.value, error.reason) : error;
  }
  const text = parsed.data.listen;
  const split = text.lastIndexOf(':');
  const listen = { host: text.slice(0, split).replace(/^\[|\]$/g, ''), port: Number(text.slice(split + 1)) };
  const token = readToken(parsed.data['ui-token-file'], env);
  if (token === undefined && !isLoopback(listen.host))
    throw new ValidationError(
      'ui-token-file',
      undefined,
      `is required to listen on ${text}, which is not a loopback address: a file holding the token (or ${TOKEN_ENV})`,
    );
  return Object.freeze({ domain: parsed.data.domain, listen: Object.freeze(listen), token });
}

/** The token from the file's first line, else from RUNDOCK_UI_TOKEN; errors never show the token itself. */
function readToken(file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ValidationError('ui-token-file', file, `cannot be read (${(error as Error).message})`);
    }
    return checkToken('ui-token-file', file, (text.split('\n')[0] ?? '').trim());
  }
  const fromEnv = env[TOKEN_ENV];
  return fromEnv === undefined || fromEnv === '' ? undefined : checkToken(TOKEN_ENV, '(not shown)', fromEnv.trim());
}

function checkToken(field: string, shown: string, token: string): string {
  if (token.length < MIN_TOKEN_LENGTH || /\s|[^\x21-\x7e]/.test(token))
    throw new ValidationError(
      field,
      shown,
      `must hold a token of at least ${MIN_TOKEN_LENGTH} printable characters without spaces (e.g. openssl rand -hex 32)`,
    );
  return token;
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** Whether `host` (an address, or `localhost`) is a loopback address: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  const family = isIP(bare);
  return family !== 0 && loopback.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

function isDomain(domain: string): boolean {
  try {
    domainLabels(domain);
    return true;
  } catch {
    return false;
  }
}
