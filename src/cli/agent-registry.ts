/** What `rundock agent` builds from its settings besides the agent: its registry and the frontend's self-announcement. */
import type { Agent } from '../agent/agent.js';
import { selfAnnouncement } from '../agent/announce.js';
import type { AgentMetrics } from '../agent/metrics.js';
import { SelfAnnouncer, SelfAnnouncerMetrics } from '../agent/self-announcer.js';
import { EmbeddedRegistry } from '../registry/embedded.js';
import { etcdSelfRecord, type SelfRecord } from '../registry/etcd-self-record.js';
import { servicePrefix } from '../registry/path.js';
import type { Registry } from '../registry/registry.js';
import { logger } from '../shared/log.js';
import type { AgentSettings } from './daemon-options/agent.js';

/**
 * The frontend's self-announcement (--announce-self): on a short lease of its own with etcd; without etcd, among
 * the agent's records in the embedded registry.
 */
export function selfAnnouncer(
  settings: AgentSettings,
  publicAddress: string | undefined,
  agent: Agent,
  metrics: AgentMetrics,
): SelfAnnouncer | undefined {
  const { announceSelf: name, etcd } = settings;
  if (name === undefined || publicAddress === undefined) return undefined;
  const { key, value } = selfAnnouncement({ ...settings, ttl: settings.recordTtl }, name, publicAddress);
  const prefix = servicePrefix(settings.domain, name);
  const published: SelfRecord = {
    announce: () => agent.publish(key, value),
    withdraw: () => agent.unpublish(key),
    status: () => ({ announced: agent.isPublished(key) }),
    close: async () => undefined, // withdrawn, or not, with the agent's records
  };
  return new SelfAnnouncer({
    key,
    value,
    record: (listener, probe) => (etcd === undefined ? published : etcdSelfRecord(etcd, prefix, key, listener, probe)),
    checkUrl: settings.announceSelfCheck,
    metrics: new SelfAnnouncerMetrics(metrics.registry),
    log: logger('self'),
  });
}

/**
 * The etcd registry with --etcd (imported on demand, so other commands never load etcd3), else the embedded one. Both
 * keep what the agent before this one left: the embedded one its file, the etcd one its lease (`etcd-lease.json`).
 */
export async function makeRegistry(
  { etcd, leaseTtl, stateDir, host }: AgentSettings,
  metrics: AgentMetrics,
  onReconnected: () => void,
): Promise<Registry> {
  if (etcd === undefined) return new EmbeddedRegistry({ stateDir });
  const { EtcdRegistry } = await import('../registry/etcd.js');
  const { LeaseFile } = await import('../registry/lease-file.js');
  const log = logger('registry');
  return new EtcdRegistry({
    ...etcd,
    ttlSeconds: leaseTtl,
    leaseFile: new LeaseFile(stateDir, host),
    listener: {
      leaseTakenOver: (lease, records) =>
        log.info({ lease, records }, 'etcd lease of the agent before this one taken over, with its records'),
      leaseFileFailed: (file, error) =>
        log.warn({ file, err: error }, 'the lease could not be saved: the next agent puts every record again'),
      leaseReplaced: (old, lease) => (
        metrics.leaseReplaced.inc(),
        log.warn({ old, lease }, 'etcd lease lost; new lease, records re-put')
      ),
      leaseMoved: (old, lease) => (
        metrics.leaseMoved.inc(),
        log.warn({ old, lease }, 'etcd lease renewals late; records moved to a new lease before it could expire')
      ),
      stateChanged: (state, error) => {
        metrics.registryConnected.set(state === 'connected' ? 1 : 0);
        // Once per change of state, with the reason (a TLS or auth failure names the setting to check); retries stay quiet.
        if (state === 'connected') log.info({ state }, 'etcd connection');
        else
          log.warn(
            { state, code: (error as { code?: string } | undefined)?.code, reason: error?.message },
            `etcd connection lost: ${error?.message ?? 'unknown'}`,
          );
        if (state === 'connected') onReconnected();
      },
    },
  });
}
