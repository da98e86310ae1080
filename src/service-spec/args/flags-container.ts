/** Flags for the container's own config: environment, labels, identity, entrypoint, stop behaviour and ports. */
import type Docker from 'dockerode';
import { invalid } from './fail.js';
import { type FlagDef, listFlag, valueFlag } from './flag-types.js';
import { parseExpose, parsePublish } from './ports.js';
import { appended, parseInteger, requireAbsolute } from './values.js';
import { LABEL_PREFIX as RESERVED_LABEL_PREFIX } from '../labels.js';

/** `-e K=V`, or `-e K` taking K from rundock's own environment (skipped when unset), as `docker run` does. */
function env(value: string): string | undefined {
  const eq = value.indexOf('=');
  if (eq === 0) throw invalid(value, '-e/--env expects KEY=VALUE or KEY');
  if (eq > 0) return value;
  const inherited = process.env[value];
  return inherited === undefined ? undefined : `${value}=${inherited}`;
}

function label(value: string, flag: string): [string, string] {
  const eq = value.indexOf('=');
  const [key, val] = eq < 0 ? [value, ''] : [value.slice(0, eq), value.slice(eq + 1)];
  if (key === '') throw invalid(value, `${flag} expects KEY=VALUE`);
  if (key.toLowerCase().startsWith(RESERVED_LABEL_PREFIX))
    throw invalid(value, `${flag}: labels under "${RESERVED_LABEL_PREFIX}" are reserved for rundock`);
  return [key, val];
}

/** Flags setting Env, Labels, Hostname, User, WorkingDir, Entrypoint, StopSignal, StopTimeout and ports. */
export const CONTAINER_FLAGS: readonly FlagDef[] = [
  listFlag(['-e', '--env'], (s, v) => {
    const entry = env(v);
    if (entry === undefined) return;
    s.body.Env = appended(s.body.Env, entry);
    if (!v.includes('=')) s.inheritedEnv.push(entry);
  }),
  listFlag(['--env-file'], (s, v) => void s.envFiles.push(v)),
  listFlag(['-l', '--label'], (s, v, f) => {
    const [key, val] = label(v, f);
    s.body.Labels = { ...s.body.Labels, [key]: val };
  }),
  valueFlag(['-h', '--hostname'], (s, v) => void (s.body.Hostname = v)),
  valueFlag(['-u', '--user'], (s, v) => void (s.body.User = v)),
  valueFlag(
    ['-w', '--workdir'],
    (s, v, f) => void (s.body.WorkingDir = requireAbsolute(v, f, 'the working directory')),
  ),
  valueFlag(['--entrypoint'], (s, v) => void (s.body.Entrypoint = [v]), { allowEmpty: true }),
  valueFlag(['--stop-signal'], (s, v) => void (s.body.StopSignal = v)),
  valueFlag(['--stop-timeout'], (s, v, f) => void (s.body.StopTimeout = parseInteger(v, f, -1))),
  listFlag(['-p', '--publish'], (s, v, f) => publish(s.body, parsePublish(v, f))),
  listFlag(['--expose'], (s, v, f) => {
    for (const key of parseExpose(v, f)) s.body.ExposedPorts = { ...s.body.ExposedPorts, [key]: {} };
  }),
];

function publish(
  body: { ExposedPorts?: Record<string, object> | undefined; HostConfig: Docker.HostConfig },
  ports: ReturnType<typeof parsePublish>,
): void {
  const bindings = { ...(body.HostConfig.PortBindings as Docker.PortMap | undefined) };
  for (const { key, binding } of ports) {
    body.ExposedPorts = { ...body.ExposedPorts, [key]: {} };
    bindings[key] = [...(bindings[key] ?? []), binding];
  }
  body.HostConfig.PortBindings = bindings;
}
