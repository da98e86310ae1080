/** The messages between bench/scale's orchestrator and its host workers (node IPC, one JSON object each). */
import type { Layout } from './layout.js';

/** What the orchestrator asks; every request carries an id its reply repeats. */
export type Request =
  | { id: number; op: 'start'; hosts: number[]; layout: Layout; etcd: string[]; leaseTtl: number }
  /** Kills the container of (host, slot): it dies and stays dead (restart policy `no`). */
  | { id: number; op: 'kill'; host: number; slot: number }
  /** Starts it again; it reports healthy at once. */
  | { id: number; op: 'revive'; host: number; slot: number }
  /** Cuts hosts off: their agents stop and their etcd clients close without withdrawing (the records expire). */
  | { id: number; op: 'cut'; hosts: number[] }
  | { id: number; op: 'stop' }
  /** Answered once the worker runs (its modules loaded). */
  | { id: number; op: 'ping' };

export type Reply =
  | { id: number; ok: true; /** When the request took effect, ms since the epoch (sub-ms precision). */ at: number }
  | { id: number; ok: false; error: string };
