import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, rundockArgv } from './harness.js';
import type { NetnsLink } from './netns-link.js';
import { waitFor } from '../support/wait.js';

/** A `rundock agent` child process for tests, with its status address. */
export interface AgentProcess {
  status: string;
  pid: number;
  /** Everything the agent logged. */
  logs(): string;
  /** Sends a signal and waits for the process to exit; resolves to its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export { waitFor } from '../support/wait.js';

/**
/**
 * Starts `rundock agent ARGS...` and resolves once its status endpoint answers (its first resync is done). Without
 * `--state-dir` in ARGS it gets a new temporary one (never the machine's /var/lib/rundock). `within`: in that
 * namespace, its status on the namespace's address.
 */
export async function startAgent(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  within?: NetnsLink,
): Promise<AgentProcess> {
  const status = `${within?.address ?? '127.0.0.1'}:${await freePort()}`;
  const state = args.includes('--state-dir') ? [] : ['--state-dir', mkdtempSync(join(tmpdir(), 'rundock-agent-'))];
  const [command, commandArgs] = rundockArgv(['agent', '--status-listen', status, ...state, ...args]);
  const [file, fileArgs] = within?.argv([command, ...commandArgs]) ?? [command, commandArgs];
  const child: ChildProcess = spawn(file, fileArgs, {
    env: { ...process.env, RUNDOCK_CONFIG: '/dev/null', RUNDOCK_LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logs = '';
  child.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const agent: AgentProcess = {
    status,
    pid: child.pid ?? 0,
    logs: () => logs,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}:\n${logs}`);
        return fetch(`http://${status}/status`).then(
          (r) => r.ok,
          () => false,
        );
      },
      // A bound for a failure, not a figure: an agent's start takes 10 s and more on a 2-core machine under load.
      30_000,
      50,
    );
  } catch (error) {
    await agent.stop('SIGKILL');
    throw error;
  }
  return agent;
}
