import type { Command } from 'commander';
import { addDeclaredOptions } from './daemon-options/declare.js';
import { PUBLIC_ZONE_OPTIONS } from './daemon-options/public-zone.js';

/** What commander hands over for addPublicZoneOptions' flags. */
export interface PublicZoneFlags {
  publicName?: string[];
  updateServer?: string;
  tsigKeyFile?: string;
  publicTtl?: string;
}

/** The public zone's flags (docs/gateway.md, "The public zone"), on `rundock dns` and `rundock agent`. */
export function addPublicZoneOptions(command: Command): Command {
  return addDeclaredOptions(command, PUBLIC_ZONE_OPTIONS);
}
