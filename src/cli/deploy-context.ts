import type { History } from '../deploy/history.js';
import { localAgent, type Handover, type LocalAgent } from '../deploy/handover.js';
import type { HostContext } from '../deploy/prepare.js';
import type { ContainerEngine } from '../runtime/engine.js';
import { agentListen, deployHost, dockerRuntime, type GlobalOptions } from './context.js';
import { historyOf } from './history-store.js';
import { Progress } from './progress.js';

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
}

/**
 * Finds the host's agent first (its addresses are the host's; docs/cli.md, "Host addresses"), then resolves the
 * host: a disagreement is refused before anything changes.
 */
export async function deployContext(
  agentFlag: string | undefined,
  global: GlobalOptions,
  dryRun: boolean,
): Promise<DeployContext> {
  const agent = await localAgent(agentListen(agentFlag, global));
  return {
    docker: dockerRuntime(),
    host: deployHost(global, agent),
    agent,
    handover: dryRun ? undefined : () => Promise.resolve(agent?.handover),
    progress: new Progress(process.stderr, !global.json),
    history: historyOf(global),
  };
}
