import { ValidationError } from '../shared/errors.js';

/** Parses `ADDRESS:PORT` (IPv6 in brackets) as given to --listen options; `field` names the option in errors. */
export function parseListen(field: string, text: string): { host: string; port: number } {
  const address = listenAddress(text);
  if (address === undefined) throw new ValidationError(field, text, LISTEN_MESSAGE);
  return address;
}

/** What a bad listen address is told. */
export const LISTEN_MESSAGE = 'must be ADDRESS:PORT';

/** `ADDRESS:PORT` (IPv6 in brackets) as host and port; undefined when `text` is not one. */
export function listenAddress(text: string): { host: string; port: number } | undefined {
  const match = /^(.+):(\d+)$/.exec(text);
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port >= 0 && port < 65536)) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

/** Help of --status-listen, and of --metrics-listen (the same listener, kept under its older name). */
export const statusListenHelp = (fallback: string): [string, string] => [
  `loopback address for /metrics, /status, /healthz and /readyz (default ${fallback})`,
  'the same as --status-listen (its older name)',
];
