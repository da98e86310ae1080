/**
 * A container engine in memory, for unit tests of the code above the runtime (the agent, the deploy): it keeps
 * containers and images in maps and emits the events Docker would, in Docker's order. It passes the same contract
 * suite as the real engine (engine.contract.ts). Tests drive what Docker does by itself through `health`, `crash` and
 * `kill`.
 */
import { EventEmitter, on } from 'node:events';
import type { Writable } from 'node:stream';
import { RundockError } from '../shared/errors.js';
import type { CreateBody } from '../spec/run-options.js';
import type { ContainerState, ObservedContainer, PublishedPort } from './docker.js';
import type { ContainerEngine } from './engine.js';
import { WATCHED_ACTIONS, type ContainerEvent } from './events.js';
import type { LogOptions } from './logs.js';

interface MemoryContainer {
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
function engineFailure(what: string, statusCode: number, message: string): RundockError {
  return new RundockError('RUNDOCK_E_DOCKER', `${what}: ${message}`, { cause: { statusCode, message } });
}

export class MemoryEngine implements ContainerEngine {
  readonly endpoint = 'memory';
  private readonly containers = new Map<string, MemoryContainer>();
  /** Local images by reference and by ID; the registry: what `pull` can fetch. */
  private readonly images = new Map<string, string>();
  private readonly registry = new Map<string, string>();
  private readonly bus = new EventEmitter();
  private nextId = 1;
  private nextPort = 32768;

  constructor(private readonly now: () => number = Date.now) {}

  /** Makes `ref` a local image (ID `id`). */
  addImage(ref: string, id = `sha256:${ref.replace(/[^a-z0-9]/g, '')}`): string {
    this.images.set(ref, id).set(id, id);
    return id;
  }

  /** Makes `ref` pullable, as an image ID `id`. */
  publishImage(ref: string, id: string): void {
    this.registry.set(ref, id);
  }

  async engineId(): Promise<string> {
    return 'memory-engine';
  }

  async engineKey(): Promise<string> {
    return 'memory-engine';
  }

  async list(label?: string, signal?: AbortSignal): Promise<ObservedContainer[]> {
    signal?.throwIfAborted();
    return [...this.containers.values()].filter((c) => label === undefined || hasLabel(c, label)).map(observed);
  }

  async imageId(ref: string): Promise<string | undefined> {
    return this.images.get(ref);
  }

  async pull(ref: string): Promise<void> {
    const id = this.registry.get(ref);
    if (id === undefined) throw new RundockError('RUNDOCK_E_PULL_FAILED', `pulling ${ref} failed: manifest unknown`);
    this.addImage(ref, id);
  }

  async create(name: string, body: CreateBody): Promise<string> {
    this.assertFreeName(`create container ${name}`, name);
    const imageId = this.images.get(body.Image ?? '');
    if (imageId === undefined) throw engineFailure(`create container ${name}`, 404, `No such image: ${body.Image}`);
    const id = (this.nextId++).toString(16).padStart(64, '0');
    this.containers.set(id, {
      id,
      name,
      body,
      imageId,
      status: 'created',
      exitCode: 0,
      restartCount: 0,
      startedAt: '0001-01-01T00:00:00Z',
      finishedAt: '0001-01-01T00:00:00Z',
      published: [],
      logs: [],
    });
    this.emit(id, 'create');
    return id;
  }

  /** As Docker: a start asked for resets the restart count (it counts the policy's restarts since). */
  async start(id: string): Promise<void> {
    const c = this.get(`start ${id}`, id);
    if (c.status === 'running') return;
    c.restartCount = 0;
    this.run(c);
  }

  async stop(id: string): Promise<void> {
    const c = this.get(`stop ${id}`, id);
    if (c.status !== 'running') return;
    this.emit(id, 'kill');
    this.exit(c, 0);
    this.emit(id, 'stop');
  }

  async remove(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c === undefined) return;
    if (c.status === 'running') this.exit(c, 137);
    this.containers.delete(id);
    this.emit(id, 'destroy', c);
  }

  async rename(id: string, name: string): Promise<void> {
    const c = this.get(`rename ${id} to ${name}`, id);
    this.assertFreeName(`rename ${id} to ${name}`, name);
    c.name = name;
    this.emit(id, 'rename');
  }

  async inspect(id: string, signal?: AbortSignal): Promise<ContainerState> {
    signal?.throwIfAborted();
    return state(this.get(`inspect ${id}`, id));
  }

  async inspectIfExists(id: string, signal?: AbortSignal): Promise<ContainerState | undefined> {
    signal?.throwIfAborted();
    const c = this.containers.get(id);
    return c && state(c);
  }

  /** As Docker: kill, die, stop, start, then restart; a restart asked for resets the restart count, as a start does. */
  async restart(id: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await this.stop(id);
    const c = this.get(`restart ${id}`, id);
    c.restartCount = 0;
    this.run(c);
    this.emit(id, 'restart');
  }

  async *events(label: string, signal: AbortSignal, onOpen?: () => Promise<void>): AsyncGenerator<ContainerEvent> {
    const stream = on(this.bus, 'event', { signal }) as AsyncIterableIterator<[ContainerEvent, MemoryContainer]>;
    await onOpen?.();
    try {
      for await (const [event, container] of stream)
        if (hasLabel(container, label) && watched(event.action)) yield event;
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }

  async streamLogs(id: string, opts: LogOptions, out: Writable): Promise<void> {
    const lines = this.get(`logs of ${id}`, id).logs;
    for (const line of opts.tail === undefined ? lines : lines.slice(-opts.tail)) out.write(`${line}\n`);
  }

  async lastLogLines(id: string, lines = 20): Promise<string> {
    return (this.containers.get(id)?.logs ?? []).slice(-lines).join('\n');
  }

  // ------------------------------------------------------------ what Docker does by itself (for tests)

  /** The container writes a line to its output. */
  log(id: string, line: string): void {
    this.get('log', id).logs.push(line);
  }

  /** Its health check reports `status` (`healthy`, `unhealthy`), after `failingStreak` failed checks in a row. */
  health(id: string, status: string, failingStreak = status === 'healthy' ? 0 : 1): void {
    const c = this.get('health', id);
    [c.health, c.failingStreak] = [status, failingStreak];
    this.emit(id, `health_status: ${status}`);
  }

  /** Its process dies with `exitCode`; the restart policy (all but `no`) starts it again, as Docker does. */
  crash(id: string, exitCode = 1): void {
    const c = this.get('crash', id);
    this.exit(c, exitCode);
    if ((c.body.HostConfig.RestartPolicy?.Name ?? 'no') === 'no') return;
    c.restartCount++;
    this.run(c);
  }

  private run(c: MemoryContainer): void {
    c.status = 'running';
    c.startedAt = new Date(this.now()).toISOString();
    c.health = c.body.Healthcheck === undefined ? undefined : 'starting';
    c.failingStreak = c.health === undefined ? undefined : 0;
    c.published = this.bind(c.body);
    this.emit(c.id, 'start');
  }

  private exit(c: MemoryContainer, exitCode: number): void {
    c.status = 'exited';
    c.finishedAt = new Date(this.now()).toISOString();
    c.exitCode = exitCode;
    c.published = [];
    if (c.health !== undefined) c.health = 'unhealthy';
    this.emit(c.id, 'die');
  }

  /** Port bindings as Docker makes them: an empty host port gets the next free one. */
  private bind(body: CreateBody): PublishedPort[] {
    const declared = (body.HostConfig.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[]>;
    const bindings = Object.entries(declared);
    return bindings.flatMap(([containerPort, list]) =>
      list.map((b) => ({
        containerPort,
        hostIp: b.HostIp ?? '0.0.0.0',
        hostPort: b.HostPort ? Number(b.HostPort) : this.nextPort++,
      })),
    );
  }

  private assertFreeName(what: string, name: string): void {
    if ([...this.containers.values()].some((c) => c.name === name))
      throw engineFailure(what, 409, `Conflict. The container name "/${name}" is already in use`);
  }

  private get(what: string, id: string): MemoryContainer {
    const c = this.containers.get(id) ?? [...this.containers.values()].find((x) => x.name === id);
    if (c === undefined) throw engineFailure(what, 404, `No such container: ${id}`);
    return c;
  }

  private emit(id: string, action: string, container = this.containers.get(id)): void {
    if (container) this.bus.emit('event', { id, action, timeNano: this.now() * 1e6 }, container);
  }
}

/** The actions the real engine's event filter lets through (`health_status` matches `health_status: *`). */
function watched(action: string): boolean {
  return WATCHED_ACTIONS.some((a) => action === a || action.startsWith(`${a}:`));
}

function labelsOf(c: MemoryContainer): Record<string, string> {
  return { ...c.body.Labels };
}

function hasLabel(c: MemoryContainer, label: string): boolean {
  const [key = '', value] = label.split('=', 2);
  const labels = labelsOf(c);
  return key in labels && (value === undefined || labels[key] === value);
}

function observed(c: MemoryContainer): ObservedContainer {
  // As `docker ps` lists them: the bound host ports of a running container.
  const ports = c.published.map((p) => ({
    hostIp: p.hostIp,
    hostPort: p.hostPort,
    protocol: p.containerPort.split('/')[1] ?? 'tcp',
  }));
  return { id: c.id, name: c.name, labels: labelsOf(c), status: c.status, imageId: c.imageId, mounts: [], ports };
}

function state(c: MemoryContainer): ContainerState {
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
