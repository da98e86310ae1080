import { ValidationError } from '../shared/errors.js';

/** Parses `ADDRESS:PORT` (IPv6 in brackets) as given to --listen options; `field` names the option in errors. */
export function parseListen(field: string, text: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(text);
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port >= 0 && port < 65536)) throw new ValidationError(field, text, 'must be ADDRESS:PORT');
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

/** The flags of a daemon's status listener: `--status-listen`, and `--metrics-listen`, its older name in dns and gateway. */
export interface StatusListenFlags {
  statusListen?: string;
  metricsListen?: string;
}

/** The status listener of dns or gateway: --status-listen, else --metrics-listen, else `fallback`. */
export function statusListenOf(flags: StatusListenFlags, fallback: string): { host: string; port: number } {
  if (flags.statusListen !== undefined) return parseListen('status-listen', flags.statusListen);
  if (flags.metricsListen !== undefined) return parseListen('metrics-listen', flags.metricsListen);
  return parseListen('status-listen', fallback);
}

/** Help of --status-listen, and of --metrics-listen (the same listener, kept under its older name). */
export const statusListenHelp = (fallback: string): [string, string] => [
  `loopback address for /metrics, /status, /healthz and /readyz (default ${fallback})`,
  'the same as --status-listen (its older name)',
];
