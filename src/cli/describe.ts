import type { ServiceResult } from '../deploy/converge.js';
import type { FieldChange } from '../plan/changes.js';
import { ValidationError } from '../shared/errors.js';

/** One human line per service: what changed, or that nothing did; then the fields that differ and the steps. */
export function describeResult(r: ServiceResult): string {
  const p = r.published;
  const where = p
    ? ` at ${p.ip}:${p.port}${p.network === 'host' ? ' (host network: nothing published, it listens there itself)' : ''}`
    : '';
  const verdict = r.dry_run ? (r.changed ? 'would change' : 'would not change') : r.changed ? 'changed' : 'unchanged';
  const health = r.health ? `, ${r.health}` : '';
  const routes = r.routes.length > 0 ? `, routes ${r.routes.join(' ')}` : '';
  const changes = r.changes.length > 0 ? `\n${r.changes.map(describeChange).join('\n')}` : '';
  const actions = r.actions.length > 0 && r.changed ? `\n${r.actions.map((a) => `  - ${a}`).join('\n')}` : '';
  return `${r.name}: ${r.state}${where}${routes}${health} (${verdict})${changes}${actions}`;
}

/**
 * The line said before a swap that takes this host's instance out of service (withdraw first, a restart): why, and
 * what it costs. In the conditional for a dry run.
 */
export function describeGap(service: string, gap: string, dryRun: boolean): string {
  const [is, fail] = dryRun ? ['would be', 'would fail'] : ['is', 'fail'];
  const instead = gap.startsWith('a restart') ? '' : ' (announce: auto would overlap instead)';
  return `${service} ${is} withdrawn first (${gap}): requests to it ${fail} until it serves again, unless another instance of ${service} takes them${instead}`;
}

/** `  ~ published: 127.0.0.1:8080->80/tcp -> 127.0.0.1:8081->80/tcp` */
export function describeChange(c: FieldChange): string {
  return `  ~ ${c.field}: ${c.before ?? '(unset)'} -> ${c.after ?? '(unset)'}`;
}

/** A decimal string becomes a number; anything else stays a string so validation reports it as given. */
export function numeric(value: string | undefined): number | string | undefined {
  return value !== undefined && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

/** `--timeout SECONDS` in milliseconds; undefined when not given. */
export function timeoutMs(seconds: string | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  const n = Number(seconds);
  if (!(n > 0)) throw new ValidationError('timeout', seconds, 'must be a positive number of seconds');
  return n * 1000;
}
