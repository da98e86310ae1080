/** The DNS rate limit's options, the same in `rundock dns` and `rundock agent --dns` (dns/rate-limit.ts). */
import { BlockList } from 'node:net';
import { addPrefix } from '../../dns/serve/rate-limit.js';
import { ValidationError } from '../../shared/errors.js';
import { withDefault } from './declare.js';
import { parsed, whole } from './fields.js';

/** Per-client UDP responses a second without --dns-rate-limit. */
export const DEFAULT_DNS_RATE_LIMIT = 200;
/** Clients never limited without --dns-rate-limit-exempt: this host. */
export const DEFAULT_RATE_LIMIT_EXEMPT = '127.0.0.0/8,::1';

/** Comma-separated `ADDR[/BITS]`, as a list of prefixes; each checked as the rate limit reads it. */
const exemptPrefixes = parsed((value) => {
  const prefixes = String(value)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const blocks = new BlockList();
  for (const entry of prefixes) {
    try {
      addPrefix(blocks, entry);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ValidationError('dns-rate-limit-exempt', entry, reason);
    }
  }
  return prefixes;
}, 'must be comma-separated ADDR[/BITS]');

/** `--dns-rate-limit`, `--dns-rate-limit-exempt` (the `dns:` section's keys for `rundock dns`). */
export const RATE_LIMIT_OPTIONS = {
  'dns-rate-limit': withDefault(whole(0, 2 ** 31 - 1, 'must be a whole number of responses a second (0: no limit)'), {
    value: '<n>',
    help: 'UDP responses a second per client address, bursts of twice that; 0 turns it off',
    default: String(DEFAULT_DNS_RATE_LIMIT),
  }),
  'dns-rate-limit-exempt': withDefault(exemptPrefixes, {
    value: '<prefixes>',
    help: "comma-separated ADDR[/BITS] never limited; '' for none",
    default: DEFAULT_RATE_LIMIT_EXEMPT,
  }),
};
