/** `-v/--volume`, `--mount`, `--tmpfs` and `--device` values, parsed as `docker run` does on Linux. */
import type Docker from 'dockerode';
import { invalid } from './fail.js';
import { parseBool, parseBytes, requireAbsolute } from './values.js';

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const VOLUME_OPTIONS = new Set([
  'ro',
  'rw',
  'z',
  'Z',
  'nocopy',
  'consistent',
  'cached',
  'delegated',
  'default',
  ...PROPAGATIONS,
]);

/** A `-v` value: a bind/named volume (HostConfig.Binds entry) or an anonymous volume (a Volumes key). */
export type VolumeSpec = { bind: string } | { anonymous: string };

/** A `--mount` entry as sent to the Engine API; option objects hold only the options given. */
export interface MountEntry {
  Type: 'bind' | 'volume' | 'tmpfs';
  Target: string;
  Source?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation: string };
  VolumeOptions?: { NoCopy: boolean };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** Parses `-v SRC:DST[:OPTS]` (SRC an absolute path or a volume name) or `-v DST` (an anonymous volume). */
export function parseVolume(value: string, flag: string): VolumeSpec {
  const parts = value.split(':');
  if (parts.length > 3) throw invalid(value, `${flag} expects SRC:DST[:OPTIONS] or DST`);
  const [first = '', dst, options] = parts;
  if (dst === undefined) return { anonymous: checkTarget(first, flag) };
  if (!first.startsWith('/') && !VOLUME_NAME.test(first)) {
    throw invalid(
      value,
      `${flag}: the source "${first}" must be an absolute host path or a volume name (letters, digits, _ . -)`,
    );
  }
  checkTarget(dst, flag);
  for (const option of options?.split(',') ?? []) {
    if (!VOLUME_OPTIONS.has(option))
      throw invalid(value, `${flag}: unknown volume option "${option}" (use ro, rw, z, Z, nocopy or a propagation)`);
  }
  if (options?.split(',').includes('ro') && options.split(',').includes('rw'))
    throw invalid(value, `${flag}: ro and rw conflict`);
  return { bind: value };
}

/** Parses `--mount type=bind|volume|tmpfs,source=..,target=..[,readonly][,...]` (a plain split on commas). */
export function parseMount(value: string, flag: string): MountEntry {
  const mount: MountEntry = { Type: 'volume', Target: '' };
  const given = new Set<string>();
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    setMountOption(mount, key, val, { value, flag });
    given.add(key);
  }
  checkMount(mount, given, { value, flag });
  return mount;
}

interface MountContext {
  value: string;
  flag: string;
}

function setMountOption(mount: MountEntry, key: string, val: string | undefined, ctx: MountContext): void {
  const need = (): string => {
    if (val === undefined || val === '') throw invalid(ctx.value, `${ctx.flag}: ${key} needs a value (${key}=...)`);
    return val;
  };
  if (key === 'type') mount.Type = mountType(need(), ctx);
  else if (key === 'source' || key === 'src') mount.Source = need();
  else if (key === 'target' || key === 'dst' || key === 'destination') mount.Target = need();
  else if (key === 'readonly' || key === 'ro')
    setFlag(mount, 'ReadOnly', val === undefined || parseBool(val, `${ctx.flag} ${key}`));
  else if (key === 'volume-nocopy')
    mount.VolumeOptions = { NoCopy: val === undefined || parseBool(val, `${ctx.flag} ${key}`) };
  else if (key === 'bind-propagation') mount.BindOptions = { Propagation: propagation(need(), ctx) };
  else if (key === 'tmpfs-size')
    mount.TmpfsOptions = { ...mount.TmpfsOptions, SizeBytes: parseBytes(need(), `${ctx.flag} tmpfs-size`) };
  else if (key === 'tmpfs-mode') mount.TmpfsOptions = { ...mount.TmpfsOptions, Mode: fileMode(need(), ctx) };
  else
    throw invalid(
      ctx.value,
      `${ctx.flag}: unknown option "${key}" (use type, source, target, readonly, volume-nocopy, bind-propagation, tmpfs-size, tmpfs-mode)`,
    );
}

function setFlag(mount: MountEntry, key: 'ReadOnly', on: boolean): void {
  if (on) mount[key] = true;
  else delete mount[key];
}

function mountType(type: string, ctx: MountContext): MountEntry['Type'] {
  if (type === 'bind' || type === 'volume' || type === 'tmpfs') return type;
  throw invalid(ctx.value, `${ctx.flag}: type must be bind, volume or tmpfs, not "${type}"`);
}

function propagation(mode: string, ctx: MountContext): string {
  if (PROPAGATIONS.includes(mode)) return mode;
  throw invalid(ctx.value, `${ctx.flag}: bind-propagation must be one of ${PROPAGATIONS.join(', ')}`);
}

function fileMode(mode: string, ctx: MountContext): number {
  if (/^[0-7]{1,4}$/.test(mode)) return parseInt(mode, 8);
  throw invalid(ctx.value, `${ctx.flag}: tmpfs-mode must be an octal file mode like 1777`);
}

function checkMount(mount: MountEntry, given: ReadonlySet<string>, ctx: MountContext): void {
  const fail = (why: string): Error => invalid(ctx.value, `${ctx.flag}: ${why}`);
  if (mount.Target === '') throw fail('target=PATH is required');
  checkTarget(mount.Target, ctx.flag);
  if (mount.Type === 'bind' && mount.Source === undefined) throw fail('a bind mount needs source=ABSOLUTE_PATH');
  if (mount.Type === 'bind') requireAbsolute(mount.Source ?? '', ctx.flag, 'a bind mount source');
  if (mount.Type === 'tmpfs' && mount.Source !== undefined) throw fail('a tmpfs mount takes no source');
  if (mount.Type === 'volume' && mount.Source !== undefined && !VOLUME_NAME.test(mount.Source)) {
    throw fail(`the volume name "${mount.Source}" must be letters, digits, _ . - (at least 2 characters)`);
  }
  for (const [prefix, type] of [
    ['volume-', 'volume'],
    ['bind-', 'bind'],
    ['tmpfs-', 'tmpfs'],
  ] as const) {
    if (mount.Type !== type && [...given].some((key) => key.startsWith(prefix)))
      throw fail(`${prefix}* options need type=${type}`);
  }
}

function checkTarget(target: string, flag: string): string {
  requireAbsolute(target, flag, 'the container path');
  if (target === '/') throw invalid(target, `${flag}: the container path cannot be "/"`);
  return target;
}

/** Parses `--tmpfs /path[:options]` into a HostConfig.Tmpfs entry. */
export function parseTmpfs(value: string, flag: string): [string, string] {
  const colon = value.indexOf(':');
  const path = colon < 0 ? value : value.slice(0, colon);
  return [checkTarget(path, flag), colon < 0 ? '' : value.slice(colon + 1)];
}

/** Parses `--device /dev/x[:/dev/y][:rwm]` into a device mapping (permissions default to rwm). */
export function parseDevice(value: string, flag: string): Docker.DeviceMapping {
  const parts = value.split(':');
  if (parts.length > 3) throw invalid(value, `${flag} expects HOST_PATH[:CONTAINER_PATH][:PERMISSIONS]`);
  const [source = '', second, third] = parts;
  const secondIsMode = parts.length === 2 && second !== undefined && isDeviceMode(second);
  const target = secondIsMode ? source : (second ?? source);
  const permissions = (secondIsMode ? second : third) ?? 'rwm';
  if (!isDeviceMode(permissions)) throw invalid(value, `${flag}: permissions must be a combination of r, w and m`);
  requireAbsolute(source, flag, 'the host device');
  requireAbsolute(target, flag, 'the container device');
  return { PathOnHost: source, PathInContainer: target, CgroupPermissions: permissions };
}

function isDeviceMode(mode: string): boolean {
  return (
    mode.length > 0 &&
    mode.length <= 3 &&
    [...mode].every((c) => 'rwm'.includes(c)) &&
    new Set(mode).size === mode.length
  );
}
