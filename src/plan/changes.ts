/**
 * Which fields of a service differ between its container and the one a run wants, before and after, in the user's
 * terms (image, image_id, published, health, env.KEY, ...). Both sides come from the `io.rundock.spec` label (what
 * the spec hash covers, container-body.ts), where secret env entries are names only and their values a keyed digest:
 * a change of a secret shows as `env (secret values)` with the digests, never a value. Pure.
 */
import { LABEL } from '../service-spec/labels.js';
import { ENV_DIGEST_FIELD } from './env-digest.js';
import { canonicalJson } from './canonical.js';

/** One field that differs; null where the field is unset. */
export interface FieldChange {
  field: string;
  before: string | null;
  after: string | null;
}

/** One side of the comparison: a container's labels (the old one's, or the wanted body's) and its image ID. */
export interface SpecSide {
  labels: Readonly<Record<string, string>>;
  imageId?: string | undefined;
}

/** The fields that differ from `before` to `after`, image first, then in a stable order. */
export function specChanges(before: SpecSide, after: SpecSide): FieldChange[] {
  // A container made before rundock kept the label can only be compared by its other labels.
  const known = before.labels[LABEL.spec] !== undefined && after.labels[LABEL.spec] !== undefined;
  const [a, b] = known ? [fields(before.labels), fields(after.labels)] : [labelFields(before), labelFields(after)];
  const changes: FieldChange[] = [];
  for (const field of [...new Set([...a.keys(), ...b.keys()])].sort(byOrder)) {
    const [x, y] = [a.get(field) ?? null, b.get(field) ?? null];
    if (x !== y) changes.push({ field, before: x, after: y });
  }
  if (before.imageId !== undefined && after.imageId !== undefined && before.imageId !== after.imageId)
    changes.splice(changes[0]?.field === 'image' ? 1 : 0, 0, {
      field: 'image_id',
      before: before.imageId,
      after: after.imageId,
    });
  if (changes.length === 0 && before.labels[LABEL.specHash] !== after.labels[LABEL.specHash] && !known)
    changes.push({
      field: 'spec_hash',
      before: before.labels[LABEL.specHash] ?? null,
      after: after.labels[LABEL.specHash] ?? null,
    });
  return changes;
}

const ORDER = ['image', 'image_id', 'cmd', 'entrypoint', 'env', 'published', 'announce', 'port', 'announce_as'];

function byOrder(x: string, y: string): number {
  const rank = (f: string): number => {
    const i = ORDER.indexOf(f.startsWith('env') ? 'env' : (f.split('.')[0] ?? f));
    return i === -1 ? ORDER.length : i;
  };
  return rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0);
}

/** rundock's own labels, in spec terms. */
const RUNDOCK_LABELS: Readonly<Record<string, string>> = {
  [LABEL.image]: 'image',
  [LABEL.announce]: 'announce',
  [LABEL.port]: 'port',
  [LABEL.announceAs]: 'announce_as',
  [LABEL.probe]: 'probe',
  [LABEL.routes]: 'route',
  [LABEL.stripPrefix]: 'strip_prefix',
};

/** Create-body fields under the names docker run and the spec give them. */
const BODY_NAMES: Readonly<Record<string, string>> = {
  Image: 'image',
  Cmd: 'cmd',
  Entrypoint: 'entrypoint',
  Healthcheck: 'health',
  Hostname: 'hostname',
  User: 'user',
  WorkingDir: 'workdir',
  StopSignal: 'stop_signal',
  StopTimeout: 'stop_timeout',
  ExposedPorts: 'expose',
  'HostConfig.PortBindings': 'published',
  'HostConfig.RestartPolicy': 'restart',
  'HostConfig.Binds': 'volumes',
  'HostConfig.Mounts': 'mounts',
  'HostConfig.VolumesFrom': 'volumes_from',
  'HostConfig.NetworkMode': 'network',
  'HostConfig.Memory': 'memory',
  'HostConfig.NanoCpus': 'cpus',
  [ENV_DIGEST_FIELD]: 'env (secret values)',
};

/** The fields of an `io.rundock.spec` label, flattened: one entry per env variable, label and HostConfig key. */
function fields(labels: Readonly<Record<string, string>>): Map<string, string> {
  const body = JSON.parse(labels[LABEL.spec] ?? '{}') as Record<string, unknown>;
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(body)) {
    if (key === 'Env') for (const [name, v] of envFields(value)) out.set(`env.${name}`, v);
    else if (key === 'Labels') for (const [name, v] of labelEntries(value)) out.set(name, v);
    else if (key === 'HostConfig' && isObject(value))
      for (const [k, v] of Object.entries(value)) set(out, `HostConfig.${k}`, v);
    else set(out, key, value);
  }
  return out;
}

function set(out: Map<string, string>, path: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const name = BODY_NAMES[path] ?? path;
  if (name === 'published') out.set(name, publishedText(value));
  else if (name === 'restart') out.set(name, restartText(value));
  else if (path === ENV_DIGEST_FIELD) out.set(name, `${text(value).slice(0, 24)}…`);
  else out.set(name, text(value));
}

/** `KEY=VALUE` entries as given; a secret entry (a bare name in the label) as `(secret)`. */
function envFields(env: unknown): [string, string][] {
  if (!Array.isArray(env)) return [];
  return env.map((entry) => {
    const s = String(entry);
    const eq = s.indexOf('=');
    return eq === -1 ? [s, '(secret)'] : [s.slice(0, eq), s.slice(eq + 1)];
  });
}

function labelEntries(labels: unknown): [string, string][] {
  if (!isObject(labels)) return [];
  return (
    Object.entries(labels)
      // The service is the container's name; the image reference is the body's Image (an ID when pinned).
      .filter(([k]) => k !== LABEL.service && k !== LABEL.image)
      .map(([k, v]) => [RUNDOCK_LABELS[k] ?? `label.${k}`, String(v)])
  );
}

/** Without the spec label: rundock's labels only. */
function labelFields(side: SpecSide): Map<string, string> {
  return new Map(
    Object.entries(RUNDOCK_LABELS).flatMap(([label, field]) => {
      const value = side.labels[label];
      return value === undefined ? [] : [[field, value] as [string, string]];
    }),
  );
}

/** `127.0.0.1:8080->80/tcp` per binding, sorted; a port Docker picks shows as `auto`. */
function publishedText(bindings: unknown): string {
  if (!isObject(bindings)) return text(bindings);
  const list = Object.entries(bindings).flatMap(([port, hosts]) =>
    (Array.isArray(hosts) ? hosts : []).map((h: unknown) => {
      const { HostIp = '', HostPort = '' }: { HostIp?: string; HostPort?: string } = isObject(h) ? h : {};
      return `${HostIp || '0.0.0.0'}:${HostPort || 'auto'}->${port}`;
    }),
  );
  return list.sort().join(', ');
}

function restartText(policy: unknown): string {
  const { Name = '', MaximumRetryCount } = isObject(policy)
    ? (policy as { Name?: string; MaximumRetryCount?: number })
    : {};
  return MaximumRetryCount ? `${Name}:${MaximumRetryCount}` : Name;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : canonicalJson(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
