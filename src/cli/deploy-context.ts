import type { History } from '../deploy/history.js';
import { localAgent, type Handover, type LocalAgent } from '../deploy/handover.js';
import type { HostContext } from '../deploy/prepare.js';
import type { ContainerEngine } from '../runtime/engine.js';
import { agentListen, deployHost, dockerRuntime, type GlobalOptions } from './context.js';
import { historyOf } from './history-store.js';
import { describeHolder, lockDeploys } from './locks.js';
import { Progress } from './progress.js';

/** `--wait`'s help, on every command that deploys. */
export const WAIT_HELP = 'if another deploy of the service is under way on this host, wait for it (default: refuse)';

/** How a deploying command takes its services' deploy locks (cli/locks.ts). */
export interface Locking {
  /** `--wait`: wait for a deploy under way instead of refusing. */
  wait?: boolean | undefined;
  /** What a waiting or refused command sees of this one: `rundock enable web`. */
  command: string;
}

/** Everything a command that deploys (enable, present, disable, restart, apply, rollback) works with. */
export interface DeployContext {
  docker: ContainerEngine;
  host: HostContext;
  /** The host's agent when one answers at its status address. */
  agent: LocalAgent | undefined;
  /** The agent's hand-over, for converge to take when the plan waits on it; none in a dry run (it waits for nothing). */
  handover: (() => Promise<Handover | undefined>) | undefined;
  progress: Progress;
  history: History;
  /**
   * Takes the deploy lock of each service for the rest of the command (none in a dry run: it changes nothing),
   * waiting for a deploy under way with `--wait`, else RUNDOCK_E_DEPLOY_IN_PROGRESS. Call before observing them.
   */
  lock(services: readonly string[]): Promise<void>;
  /** A line for the user on stderr, `rundock: ...`, unless --json (where the result says it). */
  note(text: string): void;
}

/**
 * Finds the host's agent first (its addresses are the host's; docs/cli.md, "Host addresses"), then resolves the
 * host: a disagreement is refused before anything changes.
 */
export async function deployContext(
  agentFlag: string | undefined,
  global: GlobalOptions,
  dryRun: boolean,
  locking: Locking,
): Promise<DeployContext> {
  const agent = await localAgent(agentListen(agentFlag, global));
  const docker = dockerRuntime();
  const note = (text: string): void => void (global.json || process.stderr.write(`rundock: ${text}\n`));
  const waiting = (service: string, holder: Parameters<typeof describeHolder>[0]): void =>
    note(`waiting for the deploy of ${service} under way: ${describeHolder(holder)}`);
  return {
    docker,
    host: deployHost(global, agent),
    agent,
    handover: dryRun ? undefined : () => Promise.resolve(agent?.handover),
    progress: new Progress(process.stderr, !global.json),
    history: historyOf(global),
    note,
    lock: async (services) => {
      if (!dryRun)
        await lockDeploys(docker, services, { wait: locking.wait ?? false, command: locking.command, waiting });
    },
  };
}
