/**
 * Secret environment values (from env files, and `-e KEY` inherited from rundock's own environment) reach the
 * container's environment and nothing else. The spec hash must still change when one of them changes, so it covers a
 * keyed digest of them instead of the values: HMAC-SHA-256 under a key derived from the Docker engine's ID. Anyone who
 * can read that ID can already read the container's environment through the Engine API; anyone who only sees the
 * spec hash (labels copied elsewhere, `--json` results, Ansible output) cannot test guesses, however short the secret.
 */
import { createHash, createHmac } from 'node:crypto';
import { canonicalJson } from './canonical.js';

/** The hash-input field that stands for the secret entries; documented in docs/security.md. */
export const ENV_DIGEST_FIELD = 'rundock.env-digest';
const KEY_CONTEXT = 'rundock env digest v1\0';

/** The digest key for one engine: SHA-256 of a context string and the engine's ID (GET /info, `ID`). */
export function envDigestKey(engineId: string): Buffer {
  if (engineId === '') throw new Error('the Docker engine reported no ID: cannot key the env digest');
  return createHash('sha256').update(KEY_CONTEXT).update(engineId).digest();
}

/** `hmac-sha256:<hex>` over the secret entries in order (KEY=VALUE each). */
export function envDigest(key: Uint8Array, entries: readonly string[]): string {
  return `hmac-sha256:${createHmac('sha256', key).update(canonicalJson(entries)).digest('hex')}`;
}

/**
 * What the spec hash covers instead of the body: the body with every secret entry of Env cut down to its name, and
 * the digest of the secret entries beside it. Without secret entries, the body itself (so the hash is unchanged).
 * @param secret the secret entries, a sub-list (same order) of body.Env.
 */
export function hashInput<T extends { Env?: string[] | undefined }>(
  body: T,
  secret: readonly string[],
  digest: string | undefined,
): T | Record<string, unknown> {
  if (secret.length === 0) return body;
  if (digest === undefined) throw new Error('secret environment entries need a digest before the spec hash');
  const pending = [...secret];
  const env = (body.Env ?? []).map((entry) => {
    if (entry !== pending[0]) return entry;
    pending.shift();
    return nameOf(entry);
  });
  return { ...body, Env: env, [ENV_DIGEST_FIELD]: digest };
}

function nameOf(entry: string): string {
  const eq = entry.indexOf('=');
  return eq === -1 ? entry : entry.slice(0, eq);
}
