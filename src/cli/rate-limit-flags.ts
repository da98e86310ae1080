import type { Command } from 'commander';
import { BlockList } from 'node:net';
import { addPrefix, type RateLimitOptions } from '../dns/rate-limit.js';
import { ValidationError } from '../shared/errors.js';

/** Per-client UDP responses a second without --dns-rate-limit. */
export const DEFAULT_DNS_RATE_LIMIT = 200;
const DEFAULT_EXEMPT = '127.0.0.0/8,::1';

export interface RateLimitFlags {
  dnsRateLimit?: string;
  dnsRateLimitExempt?: string;
}

/** The DNS rate limit options, shared by `rundock dns` and `rundock agent --dns`. */
export function addRateLimitOptions(command: Command): Command {
  return command
    .option(
      '--dns-rate-limit <n>',
      `UDP responses a second per client address, bursts of twice that; 0 turns it off (default ${DEFAULT_DNS_RATE_LIMIT})`,
    )
    .option(
      '--dns-rate-limit-exempt <prefixes>',
      `comma-separated ADDR[/BITS] never limited; '' for none (default ${DEFAULT_EXEMPT})`,
    );
}

/** Checks the flags; a bad value is a ValidationError naming the flag. */
export function rateLimitFrom(flags: RateLimitFlags): RateLimitOptions {
  const perSecond = Number(flags.dnsRateLimit ?? DEFAULT_DNS_RATE_LIMIT);
  if (!Number.isInteger(perSecond) || perSecond < 0)
    throw new ValidationError(
      'dns-rate-limit',
      flags.dnsRateLimit,
      'must be a whole number of responses a second (0: no limit)',
    );
  const exempt = (flags.dnsRateLimitExempt ?? DEFAULT_EXEMPT)
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const entry of exempt) {
    try {
      addPrefix(new BlockList(), entry);
    } catch (error) {
      throw new ValidationError('dns-rate-limit-exempt', entry, error instanceof Error ? error.message : String(error));
    }
  }
  return { perSecond, exempt };
}
