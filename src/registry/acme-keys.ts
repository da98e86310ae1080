/**
 * Where gateways keep what automatic HTTPS needs (docs/records.md, "ACME"), and the JSON of it; this module is its
 * one owner. Public, short-lived coordination under /rundock/; certificates with their private keys and the ACME
 * account key under a prefix of their own, outside /rundock/, so an etcd role can grant it to gateways alone:
 *
 *   /rundock/acme/challenges/<token>         HTTP-01 key authorization, on the ordering gateway's lock lease
 *   /rundock/locks/acme/<hostname>           the order's lock, on a lease (a gateway that dies loses it)
 *   /rundock-secrets/acme/certs/<hostname>   certificate chain + private key (no lease: kept)
 *   /rundock-secrets/acme/accounts/<id>      the ACME account key and URL, per directory
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { ValidationError } from '../shared/errors.js';
import { ROUTE_HOSTNAME } from '../shared/route-address.js';
import { decodeJson } from '../shared/json.js';

export const ACME_CHALLENGES_PREFIX = '/rundock/acme/challenges/';
export const ACME_LOCKS_PREFIX = '/rundock/locks/acme/';
/** Everything secret: certificates' private keys and the account key. Grant it to gateways only. */
export const SECRETS_PREFIX = '/rundock-secrets/';
export const ACME_CERTS_PREFIX = `${SECRETS_PREFIX}acme/certs/`;
export const ACME_ACCOUNTS_PREFIX = `${SECRETS_PREFIX}acme/accounts/`;

/** An ACME token (RFC 8555, 8.1: base64url), the only thing of a challenge that reaches a key. */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

const certificateSchema = z.object({
  hostname: z.string(),
  /** The chain, leaf first, PEM. */
  certificate: z.string(),
  /** The certificate's private key, PEM. */
  key: z.string(),
  serial: z.string(),
  not_before: z.string(),
  not_after: z.string(),
  /** The ACME directory it came from. */
  directory: z.string(),
});

const accountSchema = z.object({ directory: z.string(), email: z.string(), key: z.string(), url: z.string() });

/** A certificate as gateways keep it in the registry. */
export type StoredCertificate = z.infer<typeof certificateSchema>;
/** An ACME account as gateways keep it. */
export type StoredAccount = z.infer<typeof accountSchema>;

/** `/rundock/acme/challenges/<token>`. */
export function challengeKey(token: string): string {
  if (!TOKEN.test(token)) throw new ValidationError('token', token, 'must be an ACME token (base64url)');
  return `${ACME_CHALLENGES_PREFIX}${token}`;
}

/** `/rundock/locks/acme/<hostname>`. */
export function lockKey(hostname: string): string {
  return `${ACME_LOCKS_PREFIX}${orderable(hostname)}`;
}

/** `/rundock-secrets/acme/certs/<hostname>`. */
export function certificateKey(hostname: string): string {
  return `${ACME_CERTS_PREFIX}${orderable(hostname)}`;
}

/** `/rundock-secrets/acme/accounts/<first 16 hex digits of the directory URL's SHA-256>`. */
export function accountKey(directory: string): string {
  return `${ACME_ACCOUNTS_PREFIX}${createHash('sha256').update(directory).digest('hex').slice(0, 16)}`;
}

export function encodeCertificate(certificate: StoredCertificate): string {
  return JSON.stringify(certificate);
}

/** A certificate read back; undefined for text that is not one. */
export function decodeCertificate(text: string): StoredCertificate | undefined {
  return decodeJson(certificateSchema, text);
}

export function encodeAccount(account: StoredAccount): string {
  return JSON.stringify(account);
}

export function decodeAccount(text: string): StoredAccount | undefined {
  return decodeJson(accountSchema, text);
}

/** An exact hostname (no wildcard: HTTP-01 cannot prove one, so nothing is ever ordered or kept for it). */
function orderable(hostname: string): string {
  if (!ROUTE_HOSTNAME.test(hostname) || hostname.startsWith('*.'))
    throw new ValidationError('hostname', hostname, 'must be a DNS name without a wildcard');
  return hostname;
}
