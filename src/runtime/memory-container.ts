/**
 * One container of the memory engine (memory-engine.ts) and how the engine shows it: as the listing, inspect and the
 * event filter of the real adapter (docker.ts, events.ts) show a Docker container.
 */
import { RundockError } from '../shared/errors.js';
import type { CreateBody } from '../service-spec/run-options.js';
import type { ContainerState, ObservedContainer, PublishedPort } from './engine.js';
import { WATCHED_ACTIONS } from './events.js';

export interface MemoryContainer {
  id: string;
  name: string;
  body: CreateBody;
  imageId: string;
  status: 'created' | 'running' | 'exited';
  exitCode: number;
  restartCount: number;
  startedAt: string;
  finishedAt: string;
  health?: string | undefined;
  failingStreak?: number | undefined;
  published: PublishedPort[];
  logs: string[];
}

/** What Docker would answer, as the real adapter reports it: a RundockError with the engine's status as cause. */
export function engineFailure(what: string, statusCode: number, message: string): RundockError {
  return new RundockError('RUNDOCK_E_DOCKER', `${what}: ${message}`, {
    cause: { statusCode, message },
    details: { status: statusCode },
  });
}

/**
 * Port bindings as Docker makes them when `c` starts: an empty host port gets the one `pick` gives; a host port one
 * of `others` holds on the same address is refused (500, "port is already allocated").
 */
export function bindPorts(c: MemoryContainer, others: Iterable<MemoryContainer>, pick: () => number): PublishedPort[] {
  const declared = (c.body.HostConfig.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[]>;
  const wanted = Object.entries(declared).flatMap(([containerPort, list]) =>
    list.map((b) => ({ containerPort, hostIp: b.HostIp || '0.0.0.0', hostPort: Number(b.HostPort) || 0 })),
  );
  const held = [...others].filter((o) => o !== c).flatMap((o) => o.published);
  const taken = wanted.find((w) => w.hostPort > 0 && held.some((p) => clash(p, w)));
  if (taken !== undefined) {
    const endpoint = `endpoint ${c.name}: Bind for ${taken.hostIp}:${taken.hostPort} failed`;
    throw engineFailure(
      `start ${c.id}`,
      500,
      `driver failed programming external connectivity on ${endpoint}: port is already allocated`,
    );
  }
  return wanted.map((w) => (w.hostPort > 0 ? w : { ...w, hostPort: pick() }));
}

/** The actions the real engine's event filter lets through (`health_status` matches `health_status: *`). */
export function watched(action: string): boolean {
  return WATCHED_ACTIONS.some((a) => action === a || action.startsWith(`${a}:`));
}

/** Whether a port one container holds takes another's away: same host port and protocol, on the same address or every one. */
function clash(held: PublishedPort, wanted: PublishedPort): boolean {
  const protocol = (p: PublishedPort): string => p.containerPort.split('/')[1] ?? 'tcp';
  const any = (ip: string): boolean => ip === '0.0.0.0' || ip === '::';
  return (
    held.hostPort === wanted.hostPort &&
    protocol(held) === protocol(wanted) &&
    (held.hostIp === wanted.hostIp || any(held.hostIp) || any(wanted.hostIp))
  );
}

function labelsOf(c: MemoryContainer): Record<string, string> {
  return { ...c.body.Labels };
}

export function hasLabel(c: MemoryContainer, label: string): boolean {
  const [key = '', value] = label.split('=', 2);
  const labels = labelsOf(c);
  return key in labels && (value === undefined || labels[key] === value);
}

export function observed(c: MemoryContainer): ObservedContainer {
  // As `docker ps` lists them: the bound host ports of a running container.
  const ports = c.published.map((p) => ({
    hostIp: p.hostIp,
    hostPort: p.hostPort,
    protocol: p.containerPort.split('/')[1] ?? 'tcp',
  }));
  return { id: c.id, name: c.name, labels: labelsOf(c), status: c.status, imageId: c.imageId, mounts: [], ports };
}

export function state(c: MemoryContainer): ContainerState {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    running: c.status === 'running',
    restarting: false,
    exitCode: c.exitCode,
    health: c.health,
    failingStreak: c.failingStreak,
    healthIntervalMs: c.health === undefined ? undefined : Math.round((c.body.Healthcheck?.Interval || 30e9) / 1e6),
    restartCount: c.restartCount,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    imageId: c.imageId,
    labels: labelsOf(c),
    published: c.published,
    healthcheck: c.body.Healthcheck,
    networkMode: c.body.HostConfig.NetworkMode ?? 'default',
  };
}
