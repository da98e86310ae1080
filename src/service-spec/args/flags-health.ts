/** Health check flags, and the session flags that make no sense for a supervised service. */
import type Docker from 'dockerode';
import { invalid } from './fail.js';
import { boolFlag, type FlagDef, type ParseState, valueFlag } from './flag-types.js';
import { parseDuration, parseInteger } from './values.js';

/** Merges health fields; `--no-healthcheck` conflicts with every `--health-*` flag, as in `docker run`. */
function health(state: ParseState, change: Partial<Docker.HealthConfig>, flag: string): void {
  const current = state.body.Healthcheck;
  const disables = change.Test?.[0] === 'NONE';
  if (current !== undefined && disables && current.Test?.[0] === 'NONE') return;
  if (current !== undefined && (disables || current.Test?.[0] === 'NONE')) {
    throw invalid(flag, '--no-healthcheck conflicts with the --health-* flags; give one or the other');
  }
  state.body.Healthcheck = { ...current, ...change };
}

/** Flags setting the container's Healthcheck (run by dockerd inside the container, as `docker run` does). */
export const HEALTH_FLAGS: readonly FlagDef[] = [
  valueFlag(['--health-cmd'], (s, v, f) => health(s, { Test: ['CMD-SHELL', v] }, f)),
  valueFlag(['--health-interval'], (s, v, f) => health(s, { Interval: parseDuration(v, f) }, f)),
  valueFlag(['--health-timeout'], (s, v, f) => health(s, { Timeout: parseDuration(v, f) }, f)),
  valueFlag(['--health-start-period'], (s, v, f) => health(s, { StartPeriod: parseDuration(v, f) }, f)),
  valueFlag(['--health-retries'], (s, v, f) => health(s, { Retries: parseInteger(v, f, 0) }, f)),
  boolFlag(['--no-healthcheck'], (s, on, f) => (on ? health(s, { Test: ['NONE'] }, f) : undefined)),
];

/** Session flags: `-d` is accepted and ignored (services always run detached); the others are refused. */
export const SESSION_FLAGS: readonly FlagDef[] = [
  boolFlag(['-d', '--detach'], () => undefined),
  forbidden(
    ['--rm'],
    'rundock supervises the container and replaces it on change; an auto-removed container would vanish when it stops',
  ),
  forbidden(['-i', '--interactive'], 'a service has no stdin to attach'),
  forbidden(['-t', '--tty'], 'a service has no terminal'),
  forbidden(['-a', '--attach'], 'a service runs detached; read its output with docker logs'),
  forbidden(['--name'], 'the container is named after the service'),
];

function forbidden(names: readonly string[], reason: string): FlagDef {
  return { names, kind: 'forbidden', reason };
}
