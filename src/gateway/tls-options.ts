/**
 * The gateway's HTTPS flags, checked once: `--certificate CERT,KEY` (repeatable), `--acme-email` (turns automatic
 * HTTPS on), `--acme-directory`, `--acme-ca-file`. A brought certificate's files are read at every render, not here:
 * one that is missing or bad later leaves its names to ACME or plain HTTP and never stops the gateway.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../shared/errors.js';
import { LETS_ENCRYPT_DIRECTORY, type AcmeSettings } from './acme/order.js';
import type { TlsOptions } from './tls.js';

/** The HTTPS settings but for the ACME store, which comes from where the gateway's registry is. */
export type TlsSettings = Omit<TlsOptions, 'acme'> & { readonly acme?: AcmeSettings | undefined };

/** Flag values as given. */
export interface TlsInput {
  /** `--nginx-conf-dir`: certificates are installed in its `certs/` folder. */
  readonly confDir: string;
  readonly certificates?: readonly string[] | undefined;
  readonly acmeEmail?: string | undefined;
  readonly acmeDirectory?: string | undefined;
  readonly acmeCaFile?: string | undefined;
}

const EMAIL = /^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>"]+$/;

/** Checked, frozen HTTPS settings; throws a ValidationError naming the flag (exit status 2). */
export function gatewayTlsSettings(input: TlsInput): TlsSettings {
  const certificates = (input.certificates ?? []).map(parsePair);
  const directory = join(input.confDir, 'certs');
  if (input.acmeEmail === undefined) {
    if (input.acmeDirectory !== undefined)
      throw new ValidationError('acme-directory', input.acmeDirectory, 'needs --acme-email (it turns ACME on)');
    if (input.acmeCaFile !== undefined)
      throw new ValidationError('acme-ca-file', input.acmeCaFile, 'needs --acme-email (it turns ACME on)');
    return Object.freeze({ certificates, directory });
  }
  if (!EMAIL.test(input.acmeEmail))
    throw new ValidationError(
      'acme-email',
      input.acmeEmail,
      'must be an email address (the CA writes to it about expiring certificates)',
    );
  const acme: AcmeSettings = {
    email: input.acmeEmail,
    directory: parseDirectory(input.acmeDirectory ?? LETS_ENCRYPT_DIRECTORY),
    caFile: input.acmeCaFile === undefined ? undefined : checkCaFile(input.acmeCaFile),
  };
  return Object.freeze({ certificates, directory, acme: Object.freeze(acme) });
}

/** `CERT_FILE,KEY_FILE`. */
function parsePair(text: string): { certFile: string; keyFile: string } {
  const [certFile = '', keyFile = '', ...rest] = text.split(',');
  if (certFile === '' || keyFile === '' || rest.length > 0)
    throw new ValidationError(
      'certificate',
      text,
      'must be CERT_FILE,KEY_FILE (the chain, leaf first, and its key, PEM)',
    );
  return Object.freeze({ certFile, keyFile });
}

function parseDirectory(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError('acme-directory', text, "must be the URL of an ACME CA's directory");
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ValidationError('acme-directory', text, 'must be an https:// URL');
  return text;
}

function checkCaFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ValidationError(
      'acme-ca-file',
      file,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      'RUNDOCK_E_CONFIG',
    );
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new ValidationError('acme-ca-file', file, 'must hold PEM certificates', 'RUNDOCK_E_CONFIG');
  return file;
}
