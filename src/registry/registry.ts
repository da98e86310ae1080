/**
 * The registry: where agents announce records and where DNS and the gateway read them.
 * Two implementations pass one contract suite (registry.contract.ts): etcd v3 for clusters, embedded for one machine.
 */

/**
 * Connection state of a registry, as the agent reports it in metrics and status. etcd starts `disconnected` and turns
 * `connected` with its first successful request (sync, list, lease keep-alive); the embedded registry is always
 * `connected`.
 */
export type RegistryState = 'connected' | 'disconnected';

export interface RegistryStatus {
  state: RegistryState;
  /** The lease records are attached to (etcd), if any: decimal, as etcd's API gives it (`etcdctl` prints hex). */
  leaseId?: string | undefined;
  /** Records this agent owns that are written. */
  written: number;
  /** The last error talking to the registry, if the last attempt failed. */
  lastError?: string | undefined;
}

/**
 * Receives registry events; the agent turns them into logs and metrics. Called synchronously, sometimes from inside
 * the etcd client's event handlers: listeners must return quickly, and an exception they throw is ignored.
 */
export interface RegistryListener {
  /**
   * The lease was lost (expired while unreachable, or revoked); a new one was made and every record re-put. Called
   * once the records are back, without any sync being needed.
   */
  leaseReplaced?(oldLease: string | undefined, newLease: string): void;
  /**
   * The lease's renewals came late (its keep-alive stream on a member that stopped answering): every record was
   * moved to a new lease before the old one could expire, so none was deleted. Called once the records are moved.
   */
  leaseMoved?(oldLease: string, newLease: string): void;
  stateChanged?(state: RegistryState, error?: Error): void;
  /**
   * The lease the agent before this one left its records on (stopped without withdrawing them) was alive, and is this
   * agent's now: its `records` keys are this agent's, changed only where they differ from what runs.
   */
  leaseTakenOver?(lease: string, records: number): void;
  /** The lease in use could not be saved for the next agent (it would grant a new one and put every record again). */
  leaseFileFailed?(file: string, error: unknown): void;
}

export interface Registry {
  /**
   * Makes this agent's records exactly `records` (key -> value text): puts what is new or changed, deletes what it
   * wrote before and is no longer wanted. Unchanged records cost no request. Records live only as long as this agent
   * (etcd: attached to its one lease, kept alive). Rejects with a retryable error when the registry cannot be reached;
   * the desired set is kept, and the next successful sync (or the recovery after a lost lease) writes all of it.
   */
  sync(records: ReadonlyMap<string, string>): Promise<void>;
  /** Every key under `prefix` with its value, from any agent (embedded: the one agent of this process). */
  list(prefix: string): Promise<Map<string, string>>;
  /**
   * Deletes every record this agent wrote (`--withdraw-on-exit`, `rundock withdraw`), and gives up the lease. The registry stays usable; call
   * close() afterwards to release connections. When `signal` aborts (a stop's deadline), the withdrawal stops
   * waiting and rejects: what was not deleted expires with the lease (etcd).
   */
  withdrawAll(signal?: AbortSignal): Promise<void>;
  /** Stops keep-alives and closes connections. Records stay (etcd: until the lease expires). */
  close(): Promise<void>;
  status(): RegistryStatus;
}
