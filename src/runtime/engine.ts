/**
 * The port to a container engine: everything the agent, the deploy and the CLI ask of Docker. `DockerRuntime`
 * (docker.ts) implements it over the Engine API; `MemoryEngine` (memory-engine.ts) in memory, for unit tests of the
 * code above it. Both pass one contract suite (engine.contract.ts), so a test against the memory engine tells the
 * truth about the real one.
 */
import type { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { CreateBody } from '../service-spec/run-options.js';
import type { ContainerEvent } from './events.js';
import type { LogOptions } from './logs.js';
import type { PullEvent } from './pull.js';

/** A mount as the engine lists it. */
export interface ObservedMount {
  type: string;
  name?: string | undefined;
  source: string;
  destination: string;
}

/** What rundock needs to know about one container, as observed on the engine. */
export interface ObservedContainer {
  id: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  /** created | running | restarting | paused | exited | dead | removing */
  status: string;
  imageId: string;
  mounts: readonly ObservedMount[];
  /** The host ports Docker publishes for it (running containers only, as `docker ps` shows them). */
  ports: readonly ListedPort[];
}

/** A published port as the container listing shows it. */
export interface ListedPort {
  hostIp: string;
  hostPort: number;
  protocol: string;
}

/** A container port published on the host, as Docker bound it (NetworkSettings.Ports). */
export interface PublishedPort {
  /** `8080/tcp` */
  containerPort: string;
  hostIp: string;
  hostPort: number;
}

/** Detailed state of one container, from inspect. */
export interface ContainerState {
  id: string;
  name: string;
  status: string;
  running: boolean;
  restarting: boolean;
  exitCode: number;
  health?: string | undefined;
  /** Docker's count of health checks failed in a row (State.Health.FailingStreak); with a health check only. */
  failingStreak?: number | undefined;
  /** The health check's interval, ms (Docker's default 30 s when the check sets none); with a health check only. */
  healthIntervalMs?: number | undefined;
  lastHealthOutput?: string | undefined;
  restartCount: number;
  startedAt: string;
  /** When its last run ended (while it runs again: the run before), RFC 3339; `0001-01-01T00:00:00Z` before any. */
  finishedAt: string;
  imageId: string;
  labels: Readonly<Record<string, string>>;
  /** The container's address on its first network with one (none with --network host). */
  ip?: string | undefined;
  /** The ports Docker published on the host for it, as bound (a requested port 0 shows the one picked). */
  published: PublishedPort[];
  /** Its Docker health check, from the image or the create body; undefined without one. */
  healthcheck?: Docker.HealthConfig | undefined;
  /** `host`, `bridge`, `container:<id>`, a network's name... */
  networkMode: string;
}

export interface ContainerEngine {
  /** The engine's address as error messages name it. */
  readonly endpoint: string;
  /** The engine's ID: the key of the env digest is derived from it. */
  engineId(): Promise<string>;
  /**
   * What tells this engine from every other one on the machine: its ID and its data root (two dockerds on one machine
   * may share an ID, which dockerd takes from /etc/docker/key.json). The host locks are named by it.
   */
  engineKey(): Promise<string>;
  /**
   * Every container, running or not; only those carrying `label` (`key` or `key=value`) when given. `signal` (here,
   * in inspect and restart) aborts the request: a stopping agent never waits on a hung engine.
   */
  list(label?: string, signal?: AbortSignal): Promise<ObservedContainer[]>;
  /** The local image ID of a reference (or an ID), undefined when it is not present. */
  imageId(ref: string): Promise<string | undefined>;
  /** Pulls `ref`, reporting progress; RUNDOCK_E_PULL_FAILED when the registry refuses. */
  pull(ref: string, onEvent?: (event: PullEvent) => void): Promise<void>;
  /** Creates a container named `name`; resolves to its ID. */
  create(name: string, body: CreateBody): Promise<string>;
  start(id: string): Promise<void>;
  /** Stops with the container's stop signal, then kills after its stop timeout (or `timeoutSeconds`). */
  stop(id: string, timeoutSeconds?: number): Promise<void>;
  /** Removes the container, running or not; its volumes are always kept. */
  remove(id: string): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  inspect(id: string, signal?: AbortSignal): Promise<ContainerState>;
  /** As inspect; undefined when the container no longer exists. */
  inspectIfExists(id: string, signal?: AbortSignal): Promise<ContainerState | undefined>;
  /** Restarts as `docker restart`: the container's stop signal and timeout, then a start; same container. */
  restart(id: string, signal?: AbortSignal): Promise<void>;
  /**
   * The events of containers carrying `label`, as they happen, from the moment `onOpen` runs (called once the
   * subscription stands), until `signal` aborts or the engine ends the stream.
   */
  events(label: string, signal: AbortSignal, onOpen?: () => Promise<void>): AsyncGenerator<ContainerEvent>;
  /** Streams the container's stdout and stderr to `out` and `err` until the log ends (or forever with follow). */
  streamLogs(id: string, opts: LogOptions, out: Writable, err: Writable): Promise<void>;
  /** The last `lines` lines of the container's output, for error messages; empty when they cannot be read. */
  lastLogLines(id: string, lines?: number): Promise<string>;
}
