/**
 * The port to a container engine: everything the agent, the deploy and the CLI ask of Docker. `DockerRuntime`
 * (docker.ts) implements it over the Engine API; `MemoryEngine` (memory-engine.ts) in memory, for unit tests of the
 * code above it. Both pass one contract suite (engine.contract.ts), so a test against the memory engine tells the
 * truth about the real one.
 */
import type { Writable } from 'node:stream';
import type { CreateBody } from '../spec/run-options.js';
import type { ContainerEvent } from './events.js';
import type { ContainerState, ObservedContainer } from './docker.js';
import type { LogOptions } from './logs.js';
import type { PullEvent } from './pull.js';

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
