import type { Command } from 'commander';
import { addDeclaredOptions } from './daemon-options/declare.js';
import { RATE_LIMIT_OPTIONS } from './daemon-options/rate-limit.js';

export interface RateLimitFlags {
  dnsRateLimit?: string;
  dnsRateLimitExempt?: string;
}

/** The DNS rate limit options, shared by `rundock dns` and `rundock agent --dns`. */
export function addRateLimitOptions(command: Command): Command {
  return addDeclaredOptions(command, RATE_LIMIT_OPTIONS);
}
