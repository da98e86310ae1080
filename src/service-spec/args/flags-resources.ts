/** Resource and lifecycle flags: memory, CPUs, PIDs, ulimits and the restart policy. */
import type Docker from 'dockerode';
import { invalid } from './fail.js';
import { type FlagDef, listFlag, valueFlag } from './flag-types.js';
import { parseBytes, parseCpus, parseInteger } from './values.js';

const ULIMITS = new Set([
  'as',
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);
const CPUSET = /^\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*$/;
const RESTART = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/;

/** Parses `--ulimit name=soft[:hard]`; hard defaults to soft, -1 means unlimited. */
export function parseUlimit(value: string, flag: string): Docker.Ulimit {
  const match = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(value);
  if (match === null) throw invalid(value, `${flag} expects NAME=SOFT[:HARD], like nofile=1024:2048`);
  const [, name = '', softText = '', hardText] = match;
  if (!ULIMITS.has(name)) throw invalid(value, `${flag}: unknown ulimit "${name}" (one of ${[...ULIMITS].join(', ')})`);
  const soft = parseInteger(softText, flag, -1);
  const hard = hardText === undefined ? soft : parseInteger(hardText, flag, -1);
  if (hard !== -1 && (soft === -1 || soft > hard))
    throw invalid(value, `${flag}: the soft limit must not exceed the hard limit`);
  return { Name: name, Soft: soft, Hard: hard };
}

/** Parses `--restart no|always|unless-stopped|on-failure[:N]` into a restart policy. */
export function parseRestart(value: string, flag: string): Docker.HostRestartPolicy {
  const match = RESTART.exec(value);
  if (match === null) throw invalid(value, `${flag} expects no, always, unless-stopped or on-failure[:N]`);
  const [, name = '', retries] = match;
  if (retries === undefined) return { Name: name };
  if (name !== 'on-failure') throw invalid(value, `${flag}: a maximum retry count only goes with on-failure`);
  return { Name: name, MaximumRetryCount: parseInteger(retries, flag, 0) };
}

/** A later --ulimit for the same name replaces the earlier one, in place (docker keeps one per name). */
function ulimit(host: Docker.HostConfig, limit: Docker.Ulimit): void {
  const list = host.Ulimits ?? [];
  const at = list.findIndex((l) => l.Name === limit.Name);
  host.Ulimits = at < 0 ? [...list, limit] : list.map((l, i) => (i === at ? limit : l));
}

/** Flags setting HostConfig memory, CPU, PID and ulimit limits and the restart policy. */
export const RESOURCE_FLAGS: readonly FlagDef[] = [
  valueFlag(['-m', '--memory'], (s, v, f) => void (s.body.HostConfig.Memory = parseBytes(v, f))),
  valueFlag(['--memory-reservation'], (s, v, f) => void (s.body.HostConfig.MemoryReservation = parseBytes(v, f))),
  valueFlag(['--memory-swap'], (s, v, f) => void (s.body.HostConfig.MemorySwap = v === '-1' ? -1 : parseBytes(v, f))),
  valueFlag(['--shm-size'], (s, v, f) => void (s.body.HostConfig.ShmSize = parseBytes(v, f))),
  valueFlag(['--cpus'], (s, v, f) => void (s.body.HostConfig.NanoCpus = parseCpus(v, f))),
  valueFlag(['--cpu-shares'], (s, v, f) => void (s.body.HostConfig.CpuShares = parseInteger(v, f, 0))),
  valueFlag(['--cpuset-cpus'], (s, v, f) => {
    if (!CPUSET.test(v)) throw invalid(v, `${f} expects CPU numbers and ranges like 0-3 or 0,2`);
    s.body.HostConfig.CpusetCpus = v;
  }),
  valueFlag(['--pids-limit'], (s, v, f) => void (s.body.HostConfig.PidsLimit = parseInteger(v, f, -1))),
  listFlag(['--ulimit'], (s, v, f) => ulimit(s.body.HostConfig, parseUlimit(v, f))),
  valueFlag(['--restart'], (s, v, f) => void (s.body.HostConfig.RestartPolicy = parseRestart(v, f))),
];
