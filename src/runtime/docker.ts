import { homedir } from 'node:os';
import type Docker from 'dockerode';
import type { CreateBody } from '../service-spec/run-options.js';
import type { Writable } from 'node:stream';
import { engineError, statusOf } from './docker-errors.js';
import type { ContainerEngine, ContainerState, ObservedContainer, PublishedPort } from './engine.js';
import { containerEvents, type ContainerEvent } from './events.js';
import { lastLogLines, streamLogs, type LogOptions } from './logs.js';
import { pullImage, type PullEvent } from './pull.js';
import { connectEngine, dockerEndpoint } from './endpoint.js';

/** The Docker Engine adapter: the only code that talks to dockerd. Errors come out as RundockError. */
export class DockerRuntime implements ContainerEngine {
  readonly engine: Docker;
  /** The endpoint as error messages name it, e.g. `unix:///var/run/docker.sock (DOCKER_HOST unset)`. */
  readonly endpoint: string;
  private info: Promise<{ ID?: string; DockerRootDir?: string }> | undefined;

  /**
   * An engine given (tests), or the one the environment names (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH; see
   * endpoint.ts). Throws ValidationError (exit 2) naming the variable when the environment is wrong.
   */
  constructor(engine?: Docker, env: NodeJS.ProcessEnv = process.env) {
    if (engine !== undefined) {
      this.engine = engine;
      this.endpoint = 'the given Docker engine';
    } else {
      const endpoint = dockerEndpoint(env, homedir());
      this.engine = connectEngine(endpoint);
      this.endpoint = endpoint.text;
    }
  }

  /** The engine's ID (GET /info), read once: the key of the env digest is derived from it. */
  async engineId(): Promise<string> {
    return (await this.engineInfo()).ID ?? '';
  }

  async engineKey(): Promise<string> {
    const { ID, DockerRootDir } = await this.engineInfo();
    return `${ID ?? ''} ${DockerRootDir ?? ''}`;
  }

  /** GET /info, once (again after a failure). */
  private engineInfo(): Promise<{ ID?: string; DockerRootDir?: string }> {
    this.info ??= this.call('read engine info', () => this.engine.info() as Promise<{ ID?: string }>).catch(
      (error: unknown) => {
        this.info = undefined;
        throw error;
      },
    );
    return this.info;
  }

  /**
   * Every container on the engine, running or not; only those carrying `label` (`key` or `key=value`) when given.
   * `signal` aborts the request (as for inspect and restart): a stopping agent never waits on a hung engine.
   */
  async list(label?: string, signal?: AbortSignal): Promise<ObservedContainer[]> {
    const filters = label === undefined ? undefined : { label: [label] };
    const list = await this.call('list containers', () =>
      this.engine.listContainers({ all: true, ...(filters && { filters }), ...(signal && { abortSignal: signal }) }),
    );
    return list.map(toObserved);
  }

  /** The local image ID for a reference, or undefined when it is not present. */
  async imageId(ref: string): Promise<string | undefined> {
    try {
      const info = await this.engine.getImage(ref).inspect();
      return info.Id;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw engineError(`inspect image ${ref}`, error, this.endpoint);
    }
  }

  async create(name: string, body: CreateBody): Promise<string> {
    const container = await this.call(`create container ${name}`, () => this.engine.createContainer({ ...body, name }));
    return container.id;
  }

  async start(id: string): Promise<void> {
    await this.call(`start ${id}`, () => this.engine.getContainer(id).start(), [304]);
  }

  async stop(id: string, timeoutSeconds?: number): Promise<void> {
    const opts = timeoutSeconds === undefined ? {} : { t: timeoutSeconds };
    await this.call(`stop ${id}`, () => this.engine.getContainer(id).stop(opts), [304]);
  }

  /**
   * Restarts the container as `docker restart` does, with the container's own stop signal and timeout (no `t`: the
   * engine takes the container's StopTimeout, 10 s by default). `signal` aborts the request, not the restart.
   */
  async restart(id: string, signal?: AbortSignal): Promise<void> {
    const options = signal === undefined ? {} : { abortSignal: signal };
    await this.call(`restart ${id}`, () => this.engine.getContainer(id).restart(options));
  }

  /** Removes the container; its volumes are always kept (v: false). */
  async remove(id: string): Promise<void> {
    await this.call(`remove ${id}`, () => this.engine.getContainer(id).remove({ v: false, force: true }), [404]);
  }

  async rename(id: string, name: string): Promise<void> {
    await this.call(`rename ${id} to ${name}`, () => this.engine.getContainer(id).rename({ name }));
  }

  async inspect(id: string, signal?: AbortSignal): Promise<ContainerState> {
    const options = signal === undefined ? {} : { abortSignal: signal };
    const info = await this.call(`inspect ${id}`, () => this.engine.getContainer(id).inspect(options));
    const health = info.State.Health;
    const networks = Object.values(info.NetworkSettings.Networks ?? {});
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      status: info.State.Status,
      running: info.State.Running,
      restarting: info.State.Restarting,
      exitCode: info.State.ExitCode,
      health: health?.Status,
      failingStreak: health?.FailingStreak,
      healthIntervalMs:
        health === undefined ? undefined : Math.round((info.Config.Healthcheck?.Interval || 30e9) / 1e6),
      lastHealthOutput: health?.Log.at(-1)?.Output,
      restartCount: info.RestartCount,
      startedAt: info.State.StartedAt,
      finishedAt: info.State.FinishedAt,
      imageId: info.Image,
      labels: info.Config.Labels ?? {},
      ip: networks.map((n) => n.IPAddress).find((ip) => ip !== ''),
      published: publishedPorts(info.NetworkSettings.Ports),
      healthcheck: info.Config.Healthcheck,
      networkMode: info.HostConfig.NetworkMode ?? '',
    };
  }

  async pull(ref: string, onEvent?: (event: PullEvent) => void): Promise<void> {
    await pullImage(this.engine, ref, onEvent, this.endpoint);
  }

  events(label: string, signal: AbortSignal, onOpen?: () => Promise<void>): AsyncGenerator<ContainerEvent> {
    return containerEvents(this.engine, label, signal, onOpen);
  }

  streamLogs(id: string, opts: LogOptions, out: Writable, err: Writable): Promise<void> {
    return streamLogs(this.engine, id, opts, out, err);
  }

  lastLogLines(id: string, lines?: number): Promise<string> {
    return lastLogLines(this.engine, id, lines);
  }

  /** Inspects a container; undefined when it no longer exists. */
  async inspectIfExists(id: string, signal?: AbortSignal): Promise<ContainerState | undefined> {
    try {
      return await this.inspect(id, signal);
    } catch (error) {
      if (statusOf((error as { cause?: unknown }).cause) === 404) return undefined;
      throw error;
    }
  }

  /** Runs one engine call, converting its error; statuses in `okStatuses` count as success. */
  private async call<T>(what: string, fn: () => Promise<T>, okStatuses: number[] = []): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const status = statusOf(error);
      if (status !== undefined && okStatuses.includes(status)) return undefined as T;
      throw engineError(what, error, this.endpoint);
    }
  }
}

function publishedPorts(ports: Docker.ContainerInspectInfo['NetworkSettings']['Ports'] | undefined): PublishedPort[] {
  const bound = Object.entries(ports ?? {}) as [string, { HostIp: string; HostPort: string }[] | null][];
  return bound.flatMap(([containerPort, bindings]) =>
    (bindings ?? []).map((b) => ({ containerPort, hostIp: b.HostIp, hostPort: Number(b.HostPort) })),
  );
}

function toObserved(c: Docker.ContainerInfo): ObservedContainer {
  return {
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    labels: c.Labels ?? {},
    status: c.State,
    imageId: c.ImageID,
    mounts: (c.Mounts ?? []).map((m) => ({ type: m.Type, name: m.Name, source: m.Source, destination: m.Destination })),
    ports: (c.Ports ?? [])
      .filter((p) => p.PublicPort !== undefined && p.PublicPort > 0)
      .map((p) => ({ hostIp: p.IP ?? '', hostPort: p.PublicPort, protocol: p.Type })),
  };
}
