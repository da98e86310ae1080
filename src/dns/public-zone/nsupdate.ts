/**
 * RFC 2136 updates signed with TSIG through Debian's `nsupdate` (package bind9-dnsutils): no Node library signs
 * TSIG and is kept up, and a hand-rolled one is what the project's rules forbid. nsupdate runs with an argument
 * array (no shell), reads the key from the key file itself (`-k`: the secret never passes through rundock), and
 * gets its script on stdin, built here from checked names and addresses only. It finds the zone with one SOA query
 * for the name to the server; nothing else of the zone is read (no AXFR).
 */
import { spawn } from 'node:child_process';
import { isIP } from 'node:net';
import { RundockError } from '../../shared/errors.js';

/** The A and AAAA addresses a public name should have. */
export interface Addresses {
  a: readonly string[];
  aaaa: readonly string[];
}

export interface UpdateServer {
  host: string;
  port: number;
}

/** Why the primary did not take an update: the key, its ACL, or it could not be reached (or failed). */
export type UpdateFailure = 'key' | 'refused' | 'unreachable';

/** An update the primary did not apply. Retryable: the updater tries again with backoff. */
export class PublicZoneError extends RundockError {
  constructor(
    message: string,
    readonly failure: UpdateFailure,
  ) {
    super('RUNDOCK_E_PUBLIC_ZONE', message, { details: { failure } });
  }
}

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Whether `name` is a lowercase DNS name (no trailing dot), as public names are kept. */
export function isDnsName(name: string): boolean {
  return DNS_NAME.test(name);
}

/**
 * The nsupdate script that makes `name`'s A and AAAA RRsets exactly `addresses`: each RRset deleted and added
 * again in one UPDATE message, which the primary applies atomically (RFC 2136 3.4). Pure; throws on a name or an
 * address that is not one (nothing else ever reaches nsupdate).
 */
export function updateScript(server: UpdateServer, name: string, ttl: number, addresses: Addresses): string {
  if (!isDnsName(name)) throw new Error(`not a DNS name: ${JSON.stringify(name)}`);
  if (isIP(server.host) === 0 || !Number.isInteger(server.port)) throw new Error('the update server must be an IP');
  if (!Number.isInteger(ttl) || ttl < 0) throw new Error(`not a TTL: ${ttl}`);
  const lines = [`server ${server.host} ${server.port}`];
  for (const [type, family, list] of [
    ['A', 4, addresses.a],
    ['AAAA', 6, addresses.aaaa],
  ] as const) {
    lines.push(`update delete ${name}. ${type}`);
    for (const address of list) {
      if (isIP(address) !== family) throw new Error(`not an IPv${family} address: ${JSON.stringify(address)}`);
      lines.push(`update add ${name}. ${ttl} ${type} ${address}`);
    }
  }
  lines.push('send', '');
  return lines.join('\n');
}

/** What nsupdate's error output says went wrong. */
export function classifyFailure(stderr: string): UpdateFailure {
  if (/\b(BADKEY|BADSIG|BADTIME|BADTRUNC)\b|tsig/i.test(stderr)) return 'key';
  if (/\b(REFUSED|NOTAUTH|NOTZONE|YXDOMAIN|NXRRSET)\b/.test(stderr)) return 'refused';
  return 'unreachable';
}

export interface NsupdateOptions {
  keyFile: string;
  /** Bound of one run, ms (nsupdate's own timeouts are a little shorter). */
  timeoutMs?: number;
  /** The program (default nsupdate on PATH). */
  program?: string;
}

/** Runs nsupdate with `script` on stdin; rejects with a PublicZoneError carrying nsupdate's own words. */
export function runNsupdate(script: string, o: NsupdateOptions): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 5000;
  const seconds = String(Math.max(1, Math.floor(timeoutMs / 1000) - 1));
  // -v: TCP, for the SOA query and the update: over UDP a reply that comes late waits for nsupdate's retry (1 s at
  // least), while TCP answers as soon as the primary does. -t bounds the whole update.
  const args = ['-v', '-k', o.keyFile, '-t', seconds];
  return new Promise((resolve, reject) => {
    const child = spawn(o.program ?? 'nsupdate', args, { stdio: ['pipe', 'ignore', 'pipe'], timeout: timeoutMs });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.once('error', (error) =>
      reject(new PublicZoneError(`nsupdate could not run: ${error.message} (install bind9-dnsutils)`, 'unreachable')),
    );
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const said = stderr
        .trim()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .join('; ');
      const why = said !== '' ? said : signal !== null ? `no answer within ${timeoutMs} ms` : `exit status ${code}`;
      reject(new PublicZoneError(why, classifyFailure(said)));
    });
    child.stdin.on('error', () => undefined); // it exited early; 'close' says why
    child.stdin.end(script);
  });
}
