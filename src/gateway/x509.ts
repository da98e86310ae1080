/**
 * What a certificate is, checked before nginx is ever told about it: its chain parses, the private key is the one of
 * its first certificate, it is valid now, and which names it covers. A pair that fails here is left out (its
 * hostname served over plain HTTP), never handed to `nginx -t`, where one bad file would fail the config for all.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';

/** A certificate's facts, from its first (leaf) certificate. Never holds the key. */
export interface CertificateFacts {
  /** DNS names it covers (subjectAltName, else its CN), lowercased; wildcards as `*.example.com`. */
  readonly names: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Serial number, uppercase hex, as openssl prints it. */
  readonly serial: string;
  /** SHA-256 of the leaf, lowercase hex: names the installed files, so a new certificate is a new path. */
  readonly fingerprint: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificates of a chain, leaf first. */
export function splitChain(chainPem: string): string[] {
  return chainPem.match(PEM_CERTIFICATE) ?? [];
}

/**
 * Checks a certificate chain and its key; throws an Error saying what is wrong (no certificate, unparsable, key of
 * another certificate, expired, not yet valid). The key's text is never part of a message.
 */
export function inspectCertificate(chainPem: string, keyPem: string, now = Date.now()): CertificateFacts {
  const [leafPem] = splitChain(chainPem);
  if (leafPem === undefined) throw new Error('holds no PEM certificate');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
  } catch (error) {
    throw new Error(`is not a valid certificate (${error instanceof Error ? error.message : String(error)})`);
  }
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    throw new Error('its key is not a valid PEM private key');
  }
  if (!matches) throw new Error('its key belongs to another certificate');
  const facts = factsOf(leaf);
  if (facts.notAfter.getTime() <= now) throw new Error(`expired on ${facts.notAfter.toISOString()}`);
  if (facts.notBefore.getTime() > now) throw new Error(`is not valid before ${facts.notBefore.toISOString()}`);
  return facts;
}

/** The facts of a parsed leaf certificate. */
export function factsOf(leaf: X509Certificate): CertificateFacts {
  const san = (leaf.subjectAltName ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1]?.toLowerCase();
  return {
    names: san.length > 0 ? san : cn === undefined ? [] : [cn],
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    serial: leaf.serialNumber.toUpperCase(),
    fingerprint: leaf.fingerprint256.replaceAll(':', '').toLowerCase(),
  };
}

/**
 * Whether a certificate for `names` serves `hostname`: an exact name, or a wildcard one label up
 * (`*.example.com` serves `shop.example.com` and, as a name, the route `*.example.com` itself).
 */
export function covers(names: readonly string[], hostname: string): boolean {
  if (names.includes(hostname)) return true;
  const dot = hostname.indexOf('.');
  return dot > 0 && !hostname.startsWith('*.') && names.includes(`*${hostname.slice(dot)}`);
}
