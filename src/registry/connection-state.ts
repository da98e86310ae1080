/** Connection state bookkeeping shared by registry implementations: state, last error, listener calls. */
import { messageOf } from '../shared/errors.js';
import type { RegistryListener, RegistryState } from './registry.js';

/** Tracks connected/disconnected and the last error, telling the listener about each change of state. */
export class ConnectionState {
  state: RegistryState;
  lastError: string | undefined;

  constructor(
    private readonly listener: RegistryListener,
    initial: RegistryState,
  ) {
    this.state = initial;
  }

  /** A request succeeded: the registry is reachable and the last error is cleared. */
  connected(): void {
    this.lastError = undefined;
    this.set('connected');
  }

  /** A request or keep-alive failed: records its message and reports the change. */
  disconnected(error: unknown): void {
    this.lastError = messageOf(error);
    this.set('disconnected', error instanceof Error ? error : new Error(this.lastError));
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
