/** Lines of nginx text shared by the renderers (static and resolving upstreams). */
import type { UpstreamSettings } from './options.js';

/** The balancing directive, which nginx wants before `keepalive`. */
export function balanceLines(settings: UpstreamSettings): string[] {
  const balance = settings.balance;
  if (balance.method === 'round_robin') return [];
  if (balance.method === 'hash') return [`    hash ${balance.key}${balance.consistent ? ' consistent' : ''};`];
  return [`    ${balance.method};`];
}

/** `keepalive`, `keepalive_timeout`, `keepalive_requests` as set. */
export function keepaliveLines(settings: UpstreamSettings): string[] {
  if (settings.keepalive === 0) return [];
  const lines = [`    keepalive ${settings.keepalive};`];
  if (settings.keepaliveTimeout !== undefined) lines.push(`    keepalive_timeout ${settings.keepaliveTimeout};`);
  if (settings.keepaliveRequests !== undefined) lines.push(`    keepalive_requests ${settings.keepaliveRequests};`);
  return lines;
}

/** The parameters after a server's address: ` weight=N max_fails=N fail_timeout=T`, each only when set. */
export function serverParams(settings: UpstreamSettings, weight?: number): string {
  let params = weight === undefined ? '' : ` weight=${weight}`;
  if (settings.maxFails !== undefined) params += ` max_fails=${settings.maxFails}`;
  if (settings.failTimeout !== undefined) params += ` fail_timeout=${settings.failTimeout}`;
  return params;
}

/** `HEAD {` + indented lines + `}`, each line ending in a newline. */
export function block(head: string, lines: readonly string[]): string {
  return `${head} {\n${lines.map((l) => `${l}\n`).join('')}}\n`;
}
