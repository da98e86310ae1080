/**
 * The TSIG key file of `--tsig-key-file`, as `tsig-keygen` (BIND) writes it and `nsupdate -k` reads it:
 *
 *     key "rundock-public" {
 *         algorithm hmac-sha256;
 *         secret "base64...";
 *     };
 *
 * Checked at start so that a wrong file is a clear error (exit status 2) rather than a refused update later. Only
 * the key's name and algorithm leave this module: the secret is never logged, never in /status; nsupdate reads it
 * from the file itself.
 */
import { readFileSync } from 'node:fs';
import { messageOf, ValidationError } from '../../shared/errors.js';

/** What rundock says about a key: its name and algorithm (never its secret). */
export interface TsigKey {
  file: string;
  name: string;
  algorithm: 'hmac-sha256';
}

const KEY_BLOCK = /^\s*key\s+"([A-Za-z0-9][A-Za-z0-9._-]*\.?)"\s*\{([^{}]*)\}\s*;\s*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Reads and checks `file`; throws a ValidationError (field `tsig-key-file`) naming what is wrong, never the secret. */
export function readTsigKey(file: string, field = 'tsig-key-file'): TsigKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ValidationError(field, file, `cannot be read: ${messageOf(error)}`);
  }
  return parseTsigKey(text, file, field);
}

/** `text` of key file `file`, checked; see readTsigKey. */
export function parseTsigKey(text: string, file: string, field = 'tsig-key-file'): TsigKey {
  const bad = (reason: string): ValidationError => new ValidationError(field, file, reason);
  const block = KEY_BLOCK.exec(text.replace(/^\s*(#|\/\/).*$/gm, ''));
  if (block === null)
    throw bad('is not one key as tsig-keygen writes it: key "NAME" { algorithm hmac-sha256; secret "..."; };');
  const [, name = '', body = ''] = block;
  const settings = new Map<string, string>();
  for (const statement of body
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const [word = '', ...rest] = statement.split(/\s+/);
    settings.set(word.toLowerCase(), rest.join(' ').replace(/^"|"$/g, ''));
  }
  const algorithm = settings.get('algorithm')?.toLowerCase();
  if (algorithm !== 'hmac-sha256') throw bad(`has algorithm ${algorithm ?? '(none)'}; the key must be hmac-sha256`);
  const secret = settings.get('secret') ?? '';
  if (!BASE64.test(secret) || Buffer.from(secret, 'base64').length < 16)
    throw bad('has no usable secret: it must be base64 of at least 16 bytes (tsig-keygen makes 32)');
  return { file, name: name.replace(/\.$/, ''), algorithm };
}
