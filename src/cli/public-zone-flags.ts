import type { Command } from 'commander';
import { DEFAULT_PUBLIC_TTL } from './daemon-options/public-zone.js';

/** What commander hands over for addPublicZoneOptions' flags. */
export interface PublicZoneFlags {
  publicName?: string[];
  updateServer?: string;
  tsigKeyFile?: string;
  publicTtl?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The public zone's flags (docs/gateway.md, "The public zone"), on `rundock dns` and `rundock agent`. */
export function addPublicZoneOptions(command: Command): Command {
  return command
    .option(
      '--public-name <name=self>',
      "keep NAME's A/AAAA records at the public zone's primary equal to the frontends announced as SELF (repeatable)",
      collect,
      [],
    )
    .option('--update-server <addr[:port]>', "the public zone's primary, updated by RFC 2136 (port 53 by default)")
    .option('--tsig-key-file <file>', 'the TSIG key (hmac-sha256) as tsig-keygen writes it; never logged')
    .option('--public-ttl <seconds>', `TTL of the public records (default ${DEFAULT_PUBLIC_TTL})`);
}
