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
import { optional, repeatable, withDefault } from './declare.js';
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

/** The public zone's options; their config keys are the `dns:` section's, read by `rundock agent --dns` too. */
export const PUBLIC_ZONE_OPTIONS = {
  // A list (the repeated flag, the config file's list), or one comma-separated text.
  'public-name': repeatable(z.optional(z.union([z.string(), list])), {
    value: '<name=self>',
    help: "keep NAME's A/AAAA records at the public zone's primary equal to the frontends announced as SELF (repeatable)",
    config: 'dns.public_name',
  }),
  'update-server': optional(updateServer, {
    value: '<addr[:port]>',
    help: "the public zone's primary, updated by RFC 2136 (port 53 by default)",
    config: 'dns.update_server',
  }),
  'tsig-key-file': optional(textValue, {
    value: '<file>',
    help: 'the TSIG key (hmac-sha256) as tsig-keygen writes it; never logged',
    config: 'dns.tsig_key_file',
  }),
  'public-ttl': withDefault(ttlSeconds, {
    value: '<seconds>',
    help: 'TTL of the public records',
    default: String(DEFAULT_PUBLIC_TTL),
    config: 'dns.public_ttl',
  }),
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
