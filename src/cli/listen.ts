import { ValidationError } from '../shared/errors.js';

/** Parses `ADDRESS:PORT` (IPv6 in brackets) as given to --listen options; `field` names the option in errors. */
export function parseListen(field: string, text: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(text);
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port >= 0 && port < 65536)) throw new ValidationError(field, text, 'must be ADDRESS:PORT');
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}
