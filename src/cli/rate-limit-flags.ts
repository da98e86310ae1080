import type { Command } from 'commander';

/** Per-client UDP responses a second without --dns-rate-limit. */
export const DEFAULT_DNS_RATE_LIMIT = 200;
/** Clients never limited without --dns-rate-limit-exempt: this host. */
export const DEFAULT_RATE_LIMIT_EXEMPT = '127.0.0.0/8,::1';

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
      `comma-separated ADDR[/BITS] never limited; '' for none (default ${DEFAULT_RATE_LIMIT_EXEMPT})`,
    );
}
