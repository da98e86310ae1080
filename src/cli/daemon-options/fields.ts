/**
 * The pieces the daemons' option schemas share (agent, dns, gateway). Each takes a flag's text or a config file's
 * value and gives the parsed value, or an issue whose message follows the option's name in the error. Numbers are
 * read strictly: `''`, `0x4`, `1e3` and ` 4` are not numbers of anything.
 */
import * as z from 'zod/mini';
import '../../shared/zod-messages.js';
import { parseUpstream } from '../../dns/answer/forward.js';
import { checkLabel, domainLabels } from '../../registry/path.js';
import { ValidationError } from '../../shared/errors.js';
import { MIN_LEASE_TTL_SECONDS } from '../../shared/lease-ttl.js';
import { goDurationNanos } from '../../service-spec/args/values.js';
import { LISTEN_MESSAGE, listenAddress } from '../listen.js';

/** A flag's text, or a config file's number. */
type Given = string | number;

/** A schema reading one option's value as T. */
export type Piece<T> = z.ZodMiniType<T, Given>;

/**
 * A piece that reads `Given` with `parse`: undefined from it is an issue with `message`; a ValidationError thrown by
 * it (a check shared with other code) is an issue with that error's reason and value. `missing`, if set, is the
 * message when there is no value at all.
 */
export function parsed<T>(parse: (value: Given) => T | undefined, message: string, missing?: string): Piece<T> {
  const given = z.union([z.string(), z.number()], {
    error: (issue) => (issue.input === undefined && missing !== undefined ? missing : undefined),
  });
  return z.pipe(
    given,
    z.transform((value: Given, ctx) => {
      let issue = { message, input: value as unknown };
      try {
        const result = parse(value);
        if (result !== undefined) return result;
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        issue = { message: error.reason, input: error.value };
      }
      ctx.issues.push({ code: 'custom', ...issue });
      return z.NEVER;
    }),
  );
}

const text = (value: Given): string | undefined => (typeof value === 'string' ? value : undefined);

/** A whole number from `min` to `max`. */
export const whole = (min: number, max: number, message: string): Piece<number> =>
  parsed((value) => {
    const n = typeof value === 'number' ? value : /^[0-9]+$/.test(value) ? Number(value) : NaN;
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
  }, message);

/** A DNS TTL, seconds (--record-ttl, --default-ttl). */
export const ttlSeconds = whole(0, 2 ** 31 - 1, 'must be a whole number of seconds');

/** An etcd lease's TTL, seconds (--lease-ttl of agent and gateway). */
export const leaseTtlSeconds = whole(
  MIN_LEASE_TTL_SECONDS,
  2 ** 31 - 1,
  `must be a whole number of seconds, at least ${MIN_LEASE_TTL_SECONDS}`,
);

/** A Go-style duration (`200ms`, `10s`, `1m30s`), as milliseconds. */
export const durationMs = parsed((value) => {
  const nanos = goDurationNanos(text(value) ?? '');
  return nanos === undefined ? undefined : Math.round(nanos / 1e6);
}, 'must be a duration like 5s, 500ms or 1m30s');

/** `ADDRESS:PORT` to listen on (IPv6 in brackets). */
export const listen = parsed((value) => listenAddress(text(value) ?? ''), LISTEN_MESSAGE);

/** The resolver DNS forwards other names to: an IP with an optional port. */
export const forward = parsed((value) => {
  try {
    parseUpstream(text(value) ?? '');
    return text(value);
  } catch {
    return undefined;
  }
}, 'must be an IP address with an optional port (ip:port, [ipv6]:port)');

/** The services' DNS domain, required by every daemon. */
export const domain = parsed(
  (value) => (domainLabels(String(value)), String(value)),
  'must be a DNS name',
  'is required (--domain or domain in the config file)',
);

/** A DNS label (a host's or a service's name in records); `field` names it in the message of checkLabel. */
export const label = (field: string): Piece<string> =>
  parsed((value) => checkLabel(field, String(value)), 'must be a DNS label');

/** Plain text: a path, a binary, an address checked later. */
export const textValue = parsed(text, 'must be text');

/** A repeatable flag's values (a list in the config file). */
export const list = z.array(z.string());
