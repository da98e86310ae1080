/**
 * An agent that starts after another agent of its host stopped (records left in place, docs/records.md) takes over
 * what that one left, so that its first sync changes nothing that still holds: the registry keeps the records, and
 * this module reads what the agent itself cannot learn from Docker at once.
 */
import { decodeHostRecord } from '../registry/host-record.js';
import { hostKey } from '../registry/path.js';
import type { Registry } from '../registry/registry.js';

/** How long the start waits for the registry to answer (then starts without what it would have said). */
const INHERIT_TIMEOUT_MS = 2000;

/** What an agent inherits from the one before it. */
export interface Inheritance {
  /**
   * Containers that agent announced healthy: a probed one stays announced until the first probe of this agent says
   * otherwise, instead of being withdrawn until then (a Docker health check's verdict is Docker's: nothing to inherit).
   */
  healthy: Set<string>;
  /** The values of the keys asked for (the gateway's report), kept until this process publishes them anew. */
  kept: Map<string, string>;
}

/** What the agent of `host` before this one left in `registry`; nothing when it does not answer in time. */
export async function inheritance(registry: Registry, host: string, keys: readonly string[]): Promise<Inheritance> {
  const nothing: Inheritance = { healthy: new Set(), kept: new Map() };
  const read = async (): Promise<Inheritance> => {
    const key = hostKey(host);
    const record = decodeHostRecord((await registry.list(key)).get(key) ?? '');
    const healthy = (record?.services ?? []).filter((s) => s.announced && s.health === 'healthy');
    const kept = new Map<string, string>();
    for (const wanted of keys) {
      const value = (await registry.list(wanted)).get(wanted);
      if (value !== undefined) kept.set(wanted, value);
    }
    return { healthy: new Set(healthy.map((s) => s.container)), kept };
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Inheritance>((resolve) => {
    timer = setTimeout(() => resolve(nothing), INHERIT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read().catch(() => nothing), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
