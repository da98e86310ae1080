/**
 * A container engine in memory, for unit tests of the code above the runtime (the agent, the deploy): it keeps
 * containers and images in maps and emits the events Docker would, in Docker's order. It passes the same contract
 * suite as the real engine (engine.contract.ts): it refuses a name in use and a host port a running container holds,
 * as Docker does. Tests drive what Docker does by itself through `health`, `healthCheck`, `crash` and `log`, and make
 * it refuse a call with `failNext`.
 */
import { createHash } from 'node:crypto';
import { EventEmitter, on } from 'node:events';
import type { Writable } from 'node:stream';
import { RundockError } from '../shared/errors.js';
import type { CreateBody } from '../service-spec/run-options.js';
import type { ContainerState, ObservedContainer, ContainerEngine } from './engine.js';
import type { ContainerEvent } from './events.js';
import type { LogOptions } from './logs.js';
import {
  bindPorts,
  engineFailure,
  hasLabel,
  observed,
  state,
  watched,
  type MemoryContainer,
} from './memory-container.js';

/** The engine calls a test can make fail (`failNext`). */
export type EngineCall = 'create' | 'start' | 'stop' | 'remove' | 'rename';

export class MemoryEngine implements ContainerEngine {
  readonly endpoint = 'memory';
  private readonly containers = new Map<string, MemoryContainer>();
  /** Local images by reference and by ID; the registry: what `pull` can fetch. */
  private readonly images = new Map<string, string>();
  private readonly registry = new Map<string, string>();
  private readonly bus = new EventEmitter();
  /** Calls made to fail once, by the container's name (or ID) they act on; `*` for any container. */
  private readonly failures = new Map<string, string>();
  /** What the health check of an image's containers reports, by image ID (`healthCheck`). */
  private readonly checks = new Map<string, 'healthy' | 'unhealthy'>();
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
    this.refuseIfFailing('create', `create container ${name}`, name);
    this.assertFreeName(`create container ${name}`, name);
    const imageId = this.images.get(body.Image ?? '');
    if (imageId === undefined) throw engineFailure(`create container ${name}`, 404, `No such image: ${body.Image}`);
    // As Docker's: 64 hex digits, told apart by their first 12 (instance keys and messages use those).
    const id = createHash('sha256').update(String(this.nextId++)).digest('hex');
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
    this.refuseIfFailing('start', `start ${id}`, c);
    if (c.status === 'running') return;
    c.restartCount = 0;
    this.run(c);
  }

  async stop(id: string): Promise<void> {
    const c = this.get(`stop ${id}`, id);
    this.refuseIfFailing('stop', `stop ${id}`, c);
    if (c.status !== 'running') return;
    this.emit(id, 'kill');
    this.exit(c, 0);
    this.emit(id, 'stop');
  }

  async remove(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c === undefined) return;
    this.refuseIfFailing('remove', `remove ${id}`, c);
    if (c.status === 'running') this.exit(c, 137);
    this.containers.delete(id);
    this.emit(id, 'destroy', c);
  }

  async rename(id: string, name: string): Promise<void> {
    const c = this.get(`rename ${id} to ${name}`, id);
    this.refuseIfFailing('rename', `rename ${id} to ${name}`, c);
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

  /**
   * From now on the health check of containers of image `ref` reports `status`, as Docker would: `starting` at each
   * start, then `healthy` after the first check (one interval), or `unhealthy` after `Retries` failed checks.
   */
  healthCheck(ref: string, status: 'healthy' | 'unhealthy'): void {
    this.checks.set(this.images.get(ref) ?? ref, status);
  }

  /**
   * The next `call` on the container named `name` (or with that ID; for `create`, the name asked for; `*`: any
   * container) fails as Docker fails it, with `message` (a 500), before it changes anything.
   */
  failNext(call: EngineCall, name = '*', message = 'injected failure'): void {
    this.failures.set(`${call} ${name}`, message);
  }

  private refuseIfFailing(call: EngineCall, what: string, target: MemoryContainer | string): void {
    const names = typeof target === 'string' ? [target] : [target.name, target.id];
    const key = [...names, '*'].map((n) => `${call} ${n}`).find((k) => this.failures.has(k));
    if (key === undefined) return;
    const message = this.failures.get(key) ?? '';
    this.failures.delete(key);
    throw engineFailure(what, 500, message);
  }

  private run(c: MemoryContainer): void {
    const published = bindPorts(c, this.containers.values(), () => this.nextPort++);
    c.status = 'running';
    c.startedAt = new Date(this.now()).toISOString();
    c.health = c.body.Healthcheck === undefined ? undefined : 'starting';
    c.failingStreak = c.health === undefined ? undefined : 0;
    c.published = published;
    this.emit(c.id, 'start');
    this.scheduleHealth(c);
  }

  /** The health check's verdict for the image, one interval (or `Retries` of them, to fail) after this start. */
  private scheduleHealth(c: MemoryContainer): void {
    const status = this.checks.get(c.imageId);
    if (c.health === undefined || status === undefined) return;
    const intervalMs = (c.body.Healthcheck?.Interval || 30e9) / 1e6;
    const checks = status === 'healthy' ? 1 : (c.body.Healthcheck?.Retries ?? 3);
    const startedAt = c.startedAt;
    setTimeout(() => {
      if (this.containers.get(c.id) === c && c.status === 'running' && c.startedAt === startedAt)
        this.health(c.id, status, status === 'healthy' ? 0 : checks);
    }, intervalMs * checks).unref();
  }

  private exit(c: MemoryContainer, exitCode: number): void {
    c.status = 'exited';
    c.finishedAt = new Date(this.now()).toISOString();
    c.exitCode = exitCode;
    c.published = [];
    if (c.health !== undefined) c.health = 'unhealthy';
    this.emit(c.id, 'die');
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
