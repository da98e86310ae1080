/**
 * One certificate order (RFC 8555) through acme-client, under the hostname's lock: the account from the store (made
 * and stored on first use), a new key and CSR, an HTTP-01 challenge published where every gateway answers it, then
 * the certificate stored for every gateway to install. acme-client does the protocol (JWS, nonces, polling); this
 * file only decides where its inputs and outputs live. Keys never reach a log line or an error message.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import type { StoredCertificate } from '../../registry/acme-keys.js';
import { inspectCertificate } from '../x509.js';
import type { AcmeLock, AcmeStore } from './store.js';

/** How this gateway reaches its ACME CA. */
export interface AcmeSettings {
  readonly email: string;
  /** The CA's directory URL (default: Let's Encrypt's production directory). */
  readonly directory: string;
  /** Extra CA certificates (PEM) to trust for the directory's HTTPS, e.g. a test CA's. */
  readonly caFile?: string | undefined;
  /** Polling of pending challenges and orders, ms: first delay and largest (acme-client's backoff). */
  readonly pollMs?: { readonly min: number; readonly max: number } | undefined;
}

export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

/** Requests to the CA give up after this long (acme-client retries the ones RFC 8555 says may be retried). */
const REQUEST_TIMEOUT_MS = 30_000;

/** Trusts `caFile` beside the system's CAs for every request to the CA (acme-client's one HTTP client). */
export function configureAcmeHttp(settings: AcmeSettings): void {
  const extra = settings.caFile === undefined ? [] : [readFileSync(settings.caFile, 'utf8')];
  acme.axios.defaults.httpsAgent = new HttpsAgent({ ca: [...rootCertificates, ...extra], keepAlive: true });
  acme.axios.defaults.timeout = REQUEST_TIMEOUT_MS;
}

/**
 * Orders a certificate for `lock.hostname` and stores it (fenced by the lock). `published(token)` resolves once the
 * challenge can be answered (this gateway sees it in the store). Rejects when the CA refuses, a challenge fails,
 * the registry is out of reach, or the lock is lost.
 */
export async function orderCertificate(
  store: AcmeStore,
  lock: AcmeLock,
  settings: AcmeSettings,
  published: (token: string) => Promise<void>,
): Promise<StoredCertificate> {
  const { client, accountKey } = await accountClient(store, settings);
  const [key, csr] = await acme.crypto.createCsr(
    { altNames: [lock.hostname] },
    await acme.crypto.createPrivateEcdsaKey(),
  );
  const issued = await untilLost(
    lock,
    client.auto({
      csr,
      email: settings.email,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // acme-client would fetch the challenge from here first: the name need not resolve here, only for the CA.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        await lock.putChallenge(challenge.token, keyAuthorization);
        await published(challenge.token);
      },
      challengeRemoveFn: (_authz, challenge) => lock.deleteChallenge(challenge.token).catch(() => undefined),
    }),
  );
  await saveAccountUrl(store, settings, client, accountKey);
  const keyPem = key.toString();
  const facts = inspectCertificate(issued, keyPem);
  const certificate: StoredCertificate = {
    hostname: lock.hostname,
    certificate: issued,
    key: keyPem,
    serial: facts.serial,
    not_before: facts.notBefore.toISOString(),
    not_after: facts.notAfter.toISOString(),
    directory: settings.directory,
  };
  if (!(await lock.storeCertificate(certificate)))
    throw new Error('the order lock was lost before the certificate could be stored; another gateway orders it');
  return certificate;
}

/** A client with the store's account for this directory, or a new key (the account is registered by the order). */
async function accountClient(
  store: AcmeStore,
  settings: AcmeSettings,
): Promise<{ client: acme.Client; accountKey: string }> {
  let account = await store.account(settings.directory);
  if (account === undefined) {
    const key = (await acme.crypto.createPrivateEcdsaKey()).toString();
    account = { directory: settings.directory, email: settings.email, key, url: '' };
    await store.saveAccount(account);
  }
  const poll = settings.pollMs ?? { min: 500, max: 10_000 };
  const client = new acme.Client({
    directoryUrl: settings.directory,
    accountKey: account.key,
    ...(account.url !== '' && { accountUrl: account.url }),
    backoffAttempts: 12,
    backoffMin: poll.min,
    backoffMax: poll.max,
  });
  return { client, accountKey: account.key };
}

/**
 * The account's URL, kept once the CA gave one (later orders skip the lookup); only for the key this order used (two
 * gateways making the first account at once: the one stored last is the account, the other an unused one).
 */
async function saveAccountUrl(
  store: AcmeStore,
  settings: AcmeSettings,
  client: acme.Client,
  key: string,
): Promise<void> {
  const account = await store.account(settings.directory);
  if (account === undefined || account.url !== '' || account.key !== key) return;
  await store.saveAccount({ ...account, url: client.getAccountUrl() });
}

/** `work`, or a rejection as soon as the lock is lost. */
function untilLost<T>(lock: AcmeLock, work: Promise<T>): Promise<T> {
  if (lock.lost.aborted) return Promise.reject(new Error('the order lock was lost'));
  return new Promise((resolve, reject) => {
    const onLost = (): void => reject(new Error('the order lock was lost (its lease expired)'));
    lock.lost.addEventListener('abort', onLost, { once: true });
    work.then(resolve, reject).finally(() => lock.lost.removeEventListener('abort', onLost));
  });
}
