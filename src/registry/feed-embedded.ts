import type { EmbeddedRegistry } from './embedded.js';
import { domainPrefix } from './path.js';
import type { ZoneSink } from './feed-etcd.js';

/**
 * Keeps a ZoneSink equal to the domain's records in the agent's own embedded registry (a single machine, no etcd).
 * Returns the current serial (a change counter) and an unsubscribe function.
 */
export async function feedFromEmbedded(
  registry: EmbeddedRegistry,
  domain: string,
  sink: ZoneSink,
): Promise<{ serial: () => number; stop: () => void }> {
  const prefix = domainPrefix(domain);
  let serial = 1;
  const inZone = (records: ReadonlyMap<string, string>): [string, string][] =>
    [...records].filter(([key]) => key.startsWith(prefix));
  sink.replaceAll(inZone(await registry.list(prefix)));
  const stop = registry.onChange((records) => {
    sink.replaceAll(inZone(records));
    serial++;
  });
  return { serial: () => serial, stop };
}
