import { setTimeout as sleep } from 'node:timers/promises';
import { RundockError } from '../shared/errors.js';
import type { ContainerState, ContainerEngine } from './engine.js';

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Without a health check, the container must have been up this long to count as started. */
  settleMs?: number;
  pollMs?: number;
  /** Called while waiting, with the state seen and the time waited so far. */
  onWait?: (state: ContainerState, waitedMs: number) => void;
}

/**
 * Waits until the container runs and, when it has a health check, until Docker reports it healthy.
 * Fails with the container's last log lines when it exits, keeps restarting, turns unhealthy or times out.
 */
export async function waitUntilReady(docker: ContainerEngine, id: string, opts: WaitOptions): Promise<ContainerState> {
  const started = Date.now();
  const settleMs = opts.settleMs ?? 500;
  for (;;) {
    const state = await docker.inspect(id);
    const waited = Date.now() - started;
    const verdict = judge(state, settleMs);
    if (verdict === 'ready') return state;
    if (verdict !== 'pending') throw await failure(docker, state, verdict);
    if (waited >= opts.timeoutMs)
      throw await failure(
        docker,
        state,
        `not ready after ${Math.round(waited / 1000)} s (${describe(state)})`,
        'RUNDOCK_E_UNHEALTHY',
      );
    opts.onWait?.(state, waited);
    await sleep(Math.min(opts.pollMs ?? 200, settleMs));
  }
}

/** 'ready', 'pending', or the reason the container failed. */
function judge(state: ContainerState, settleMs: number): string {
  if (state.restarting) return `keeps restarting (exit code ${state.exitCode}, ${state.restartCount} restarts)`;
  if (!state.running) return `exited with code ${state.exitCode}`;
  if (state.health === 'unhealthy')
    return `is unhealthy${state.lastHealthOutput ? `: ${state.lastHealthOutput.trim()}` : ''}`;
  if (state.health !== undefined) return state.health === 'healthy' ? 'ready' : 'pending';
  return Date.now() - Date.parse(state.startedAt) >= settleMs ? 'ready' : 'pending';
}

function describe(state: ContainerState): string {
  return state.health !== undefined ? `health: ${state.health}` : `status: ${state.status}`;
}

async function failure(
  docker: ContainerEngine,
  state: ContainerState,
  reason: string,
  code?: 'RUNDOCK_E_UNHEALTHY',
): Promise<RundockError> {
  const logs = await docker.lastLogLines(state.id);
  const errorCode = code ?? (state.health === 'unhealthy' ? 'RUNDOCK_E_UNHEALTHY' : 'RUNDOCK_E_START_FAILED');
  const message = `container ${state.id.slice(0, 12)} ${reason}${logs ? `\n--- last log lines ---\n${logs}` : '\n(no log output)'}`;
  return new RundockError(errorCode, message, { details: { container: state.id, logs } });
}
