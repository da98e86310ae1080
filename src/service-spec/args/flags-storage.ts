/** Storage flags: volumes, mounts, tmpfs and devices. */
import type Docker from 'dockerode';
import { invalid } from './fail.js';
import { type FlagDef, listFlag } from './flag-types.js';
import { parseDevice, parseMount, parseTmpfs, parseVolume } from './mounts.js';
import { appended } from './values.js';

function volume(
  body: { Volumes?: Record<string, object> | undefined; HostConfig: Docker.HostConfig },
  value: string,
  flag: string,
): void {
  const spec = parseVolume(value, flag);
  if ('bind' in spec) body.HostConfig.Binds = appended(body.HostConfig.Binds, spec.bind);
  else body.Volumes = { ...body.Volumes, [spec.anonymous]: {} };
}

function volumesFrom(value: string, flag: string): string {
  const [container = '', mode, ...rest] = value.split(':');
  if (container === '' || rest.length > 0 || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
    throw invalid(value, `${flag} expects CONTAINER[:ro|rw]`);
  }
  return value;
}

/** Flags setting Binds, Volumes, VolumesFrom, Mounts, Tmpfs and Devices. */
export const STORAGE_FLAGS: readonly FlagDef[] = [
  listFlag(['-v', '--volume'], (s, v, f) => volume(s.body, v, f)),
  listFlag(
    ['--volumes-from'],
    (s, v, f) => void (s.body.HostConfig.VolumesFrom = appended(s.body.HostConfig.VolumesFrom, volumesFrom(v, f))),
  ),
  listFlag(['--mount'], (s, v, f) => {
    // Option objects carry only the options given; dockerode's types require every sub-field.
    s.body.HostConfig.Mounts = [...(s.body.HostConfig.Mounts ?? []), parseMount(v, f) as Docker.MountSettings];
  }),
  listFlag(['--tmpfs'], (s, v, f) => {
    const [path, options] = parseTmpfs(v, f);
    s.body.HostConfig.Tmpfs = { ...s.body.HostConfig.Tmpfs, [path]: options };
  }),
  listFlag(
    ['--device'],
    (s, v, f) => void (s.body.HostConfig.Devices = appended(s.body.HostConfig.Devices, parseDevice(v, f))),
  ),
];
