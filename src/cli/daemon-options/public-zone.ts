/**
 * The public zone's options (dns/public-zone/), the same in `rundock dns` and `rundock agent --dns`: which public
 * names follow which self-announced frontends, the primary to update, the TSIG key, the TTL. docs/gateway.md.
 */
import * as z from 'zod/mini';
import { parseUpstream } from '../../dns/answer/forward.js';
import { isDnsName } from '../../dns/public-zone/nsupdate.js';
import { readTsigKey } from '../../dns/public-zone/tsig-key.js';
import type { PublicName, PublicZoneOptions } from '../../dns/public-zone/updater.js';
import { DNS_LABEL } from '../../shared/dns-label.js';
import { ValidationError } from '../../shared/errors.js';
import type { DaemonInput } from '../config-flags.js';
import { list, parsed, textValue, ttlSeconds } from './fields.js';

/** The default TTL of the public records, seconds: resolvers ask again soon after a frontend leaves. */
export const DEFAULT_PUBLIC_TTL = 5;

/** `PUBLIC-NAME=SELF-NAME`, lowercased, without a trailing dot; undefined when it is not one. */
function publicName(value: string): PublicName | undefined {
  const [name = '', self = '', ...rest] = value.toLowerCase().split('=');
  const bare = name.replace(/\.$/, '');
  return rest.length === 0 && isDnsName(bare) && DNS_LABEL.test(self) ? { name: bare, self } : undefined;
}

const updateServer = parsed((value) => {
  try {
    return parseUpstream(String(value));
  } catch {
    return undefined;
  }
}, 'must be an IP address with an optional port (ADDR[:PORT], [IPv6]:PORT; default port 53)');

/** The flags of addPublicZoneOptions. */
export const publicZoneShape = {
  // A list (the repeated flag, the config file's list), or one comma-separated text.
  'public-name': z.optional(z.union([z.string(), list])),
  'update-server': z.optional(updateServer),
  'tsig-key-file': z.optional(textValue),
  'public-ttl': z.prefault(ttlSeconds, String(DEFAULT_PUBLIC_TTL)),
};

type Parsed = {
  'public-name'?: string | string[] | undefined;
  'update-server'?: { host: string; port: number } | undefined;
  'tsig-key-file'?: string | undefined;
  'public-ttl': number;
};

/** The public zone's settings, or undefined without --public-name; the key file is read and checked now. */
export function publicZoneSettings(o: Parsed, input: DaemonInput): PublicZoneOptions | undefined {
  const given = o['public-name'] ?? [];
  const names: PublicName[] = [];
  for (const text of (typeof given === 'string' ? given.split(',') : given).map((t) => t.trim()).filter(Boolean)) {
    const parsed = publicName(text);
    if (parsed === undefined)
      throw input.error(
        'public-name',
        text,
        "must be PUBLIC-NAME=SELF-NAME, e.g. www.example.com=www (the frontends' --announce-self)",
      );
    names.push(parsed);
  }
  const server = o['update-server'];
  const keyFile = o['tsig-key-file'];
  if (names.length === 0) {
    const stray = server !== undefined ? 'update-server' : keyFile !== undefined ? 'tsig-key-file' : undefined;
    if (stray !== undefined)
      throw input.error(stray, input.values[stray], 'needs --public-name (the names it updates)');
    return undefined;
  }
  const dup = names.find((n, i) => names.findIndex((m) => m.name === n.name) !== i);
  if (dup !== undefined) throw input.error('public-name', dup.name, 'is given twice');
  if (server === undefined) throw input.error('update-server', undefined, 'is required with --public-name');
  if (keyFile === undefined) throw input.error('tsig-key-file', undefined, 'is required with --public-name');
  let key;
  try {
    key = readTsigKey(keyFile);
  } catch (error) {
    throw error instanceof ValidationError ? input.error('tsig-key-file', error.value, error.reason) : error;
  }
  return Object.freeze({ names, server, key, ttl: o['public-ttl'] });
}
