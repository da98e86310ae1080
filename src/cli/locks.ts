/**
 * The host locks rundock's commands take (shared/host-lock.ts), named by the Docker engine they act on, so that the
 * kernel frees them when the process ends, however it ends:
 * - one agent per Docker engine (`rundock agent`): a second one refuses to start, naming the first;
 * - one deploy of a service at a time (`enable`, `present`, `disable`, `absent`, `restart`, `apply`, `rollback`): a
 *   second one waits for the first with `--wait`, or is refused naming it. Either way the service ends up in the state
 *   one of them asked for, never a mix.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ContainerEngine } from '../runtime/engine.js';
import { backoffDelay } from '../shared/backoff.js';
import { Condition } from '../shared/condition.js';
import { RundockError } from '../shared/errors.js';
import { holderOf, tryLock, untilReleased, type HostLock, type LockHolder } from '../shared/host-lock.js';

/** The lock's name for `what` on this engine: short enough for a socket name (107 bytes), with a service name too. */
async function lockName(docker: ContainerEngine, what: string): Promise<string> {
  const engine = createHash('sha256')
    .update(await docker.engineKey())
    .digest('hex')
    .slice(0, 16);
  return `rundock/${engine}/${what}`;
}

/** `pid 123, status 127.0.0.1:9476, since 2026-12-07T12:00:00Z`: a lock's holder as errors and progress name it. */
export function describeHolder(holder: LockHolder | undefined): string {
  if (holder === undefined) return 'a process that did not say which (stopped?)';
  const { pid, since, ...details } = holder;
  const extra = Object.entries(details)
    .filter(([, value]) => typeof value === 'string' || typeof value === 'number')
    .map(([key, value]) => `${key} ${String(value)}`);
  return [`pid ${pid}`, ...extra, `since ${since.replace(/\.\d+Z$/, 'Z')}`].join(', ');
}

/**
 * Makes this process the engine's agent, once Docker answers (its identity names the lock): while it does not, waits,
 * saying so, until `stopping` (then undefined). Another agent on the engine: RUNDOCK_E_AGENT_RUNNING (exit 2) naming
 * it; `details` (this one's status address, host name) are what a second agent's refusal names.
 */
export async function lockAgent(
  docker: ContainerEngine,
  details: Record<string, string>,
  log: Logger,
  stopping: Promise<unknown>,
): Promise<HostLock | undefined> {
  const reachable = new Condition(log, 'docker', 'the agent starts once it answers (it must know the engine)');
  let stopped = false;
  void stopping.then(() => (stopped = true));
  for (let attempt = 0; !stopped; attempt++) {
    try {
      const lock = await tryAgentLock(docker, details);
      reachable.recovered();
      return lock;
    } catch (error) {
      if (error instanceof RundockError && error.code === 'RUNDOCK_E_AGENT_RUNNING') throw error;
      reachable.failed(error);
      await Promise.race([stopping, sleep(backoffDelay(attempt, 500, 5000))]);
    }
  }
  return undefined;
}

async function tryAgentLock(docker: ContainerEngine, details: Record<string, string>): Promise<HostLock> {
  const attempt = await tryLock(await lockName(docker, 'agent'), {
    pid: process.pid,
    since: new Date().toISOString(),
    ...details,
  });
  if (attempt.lock) return attempt.lock;
  throw new RundockError(
    'RUNDOCK_E_AGENT_RUNNING',
    `another rundock agent runs on this Docker engine (${docker.endpoint}): ${describeHolder(attempt.holder)}; one agent per engine (stop that one first)`,
    { details: { holder: attempt.holder ?? null } },
  );
}

/** The engine's agent, if one runs (it holds the engine's agent lock): what it says of itself. */
export async function runningAgent(docker: ContainerEngine): Promise<LockHolder | undefined> {
  return holderOf(await lockName(docker, 'agent'));
}

/** How a deploy takes its services' locks. */
export interface DeployLocking {
  /** Wait for a deploy under way instead of refusing. */
  wait: boolean;
  /** The command, as a waiting or refused one names it: `rundock enable web`. */
  command: string;
  /** Told when a deploy under way makes this one wait, and by whom. */
  waiting?: (service: string, holder: LockHolder | undefined) => void;
}

/**
 * Takes the deploy lock of each service (sorted, so two commands never wait on each other), waiting for a deploy under
 * way with `wait`, else RUNDOCK_E_DEPLOY_IN_PROGRESS (exit 2, nothing changed) naming it. Resolves to the locks,
 * held until released or the process ends.
 */
export async function lockDeploys(
  docker: ContainerEngine,
  services: readonly string[],
  o: DeployLocking,
): Promise<HostLock[]> {
  const held: HostLock[] = [];
  const holder = { pid: process.pid, since: new Date().toISOString(), command: o.command };
  try {
    for (const service of [...new Set(services)].sort()) {
      const name = await lockName(docker, `deploy/${service}`);
      for (;;) {
        const attempt = await tryLock(name, holder);
        if (attempt.lock) {
          held.push(attempt.lock);
          break;
        }
        if (!o.wait) throw deployInProgress(service, attempt.holder);
        o.waiting?.(service, attempt.holder);
        await untilReleased(name);
      }
    }
  } catch (error) {
    await Promise.all(held.map((lock) => lock.release()));
    throw error;
  }
  return held;
}

function deployInProgress(service: string, holder: LockHolder | undefined): RundockError {
  return new RundockError(
    'RUNDOCK_E_DEPLOY_IN_PROGRESS',
    `another deploy of ${service} is under way on this host: ${describeHolder(holder)}; nothing changed (--wait waits for it)`,
    { details: { service, holder: holder ?? null } },
  );
}
