/** Connection state bookkeeping shared by registry implementations: state, the outage, listener calls. */
import { Outage } from '../shared/outage.js';
import type { RegistryListener, RegistryState } from './registry.js';

/**
 * Tracks connected/disconnected and the outage behind it (shared/outage.ts: since, latest error, failures), telling
 * the listener about each change of state; the listener logs it (cli/agent-registry.ts).
 */
export class ConnectionState {
  state: RegistryState;
  readonly outage = new Outage();

  constructor(
    private readonly listener: RegistryListener,
    initial: RegistryState,
  ) {
    this.state = initial;
  }

  /** The latest error talking to the registry, until a request succeeds. */
  get lastError(): string | undefined {
    return this.outage.reason;
  }

  /** A request succeeded: the registry is reachable and the outage, if any, is over. */
  connected(): void {
    this.outage.end();
    this.set('connected');
  }

  /** A request or keep-alive failed: counts it in the outage and reports the change. */
  disconnected(error: unknown): void {
    this.outage.fail(error);
    this.set('disconnected', error instanceof Error ? error : new Error(this.outage.reason));
  }

  /** Calls the listener; its exception must not break the caller's bookkeeping (it may run inside etcd3's handlers). */
  notify(call: (listener: RegistryListener) => void): void {
    try {
      call(this.listener);
    } catch (error) {
      // Listeners report, they do not steer (RegistryListener): the caller goes on, and the bug shows as a warning.
      process.emitWarning(error instanceof Error ? error : new Error(String(error)), 'RundockListenerError');
    }
  }

  private set(state: RegistryState, error?: Error): void {
    if (this.state === state) return;
    this.state = state;
    this.notify((l) => l.stateChanged?.(state, error));
  }
}
