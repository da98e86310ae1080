/**
 * The stop of each long-running command as steps (shared/shutdown.ts): the agent (with its DNS server and gateway
 * when it runs them), `rundock dns` and `rundock gateway`. Withdrawing (the gateway's report; the agent's records only
 * with --withdraw-on-exit: by default they stay for the next agent) comes first, while there is time; closing sockets
 * and clients comes last and needs no one's answer.
 */
import type { Agent } from '../agent/agent.js';
import type { DnsService } from '../dns/service.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Registry } from '../registry/registry.js';
import type { StopStep } from '../shared/shutdown.js';

/** What a stop closes: a status server's close, a DNS service, a gateway. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Deletes the registry's records within the stop's time; what it could not is said, with where it is left: records
 * on an etcd lease expire with it, at the latest `leaseTtl` seconds after the last keep-alive.
 */
export function withdrawStep(registry: Registry, leaseTtl: number, what = 'records'): StopStep {
  return {
    name: `withdraw ${what}`,
    run: async (signal) => {
      const before = registry.status();
      try {
        await registry.withdrawAll(signal);
      } catch (error) {
        const lease = before.leaseId === undefined ? '' : ` with lease ${before.leaseId} within ${leaseTtl} s`;
        const count = `${before.written} ${before.written === 1 ? 'key' : 'keys'}`;
        // The log shows the cause's message after this one (pino's error serializer).
        throw new Error(`${what} not withdrawn (${count}); they expire${lease}`, { cause: error });
      }
    },
  };
}

/** The agent's stop: Docker first (nothing more is written), then its records if asked, then what it serves. */
export function agentStopSteps(o: {
  agent: Agent;
  registry: Registry;
  withdraw: boolean;
  leaseTtl: number;
  /** The frontend's self-announcement: withdrawn first (its short lease revoked), or left to expire within 2 s. */
  self?: { stop(withdraw: boolean, signal?: AbortSignal): Promise<void> } | undefined;
  gateway?: Gateway | undefined;
  /** The public zone's updater (--public-name with --dns): stopped before the DNS server. */
  publicZone?: { stop(): void } | undefined;
  dns?: DnsService | undefined;
  ui?: { stop(): Promise<void> } | undefined;
  /** The record feeds DNS, gateway and UI follow: stopped once none of them does any more. */
  feeds?: { stop(): Promise<void> } | undefined;
  status: Closable;
}): StopStep[] {
  const steps: StopStep[] = [{ name: 'stop following Docker', run: () => o.agent.stopFollowing() }];
  const self = o.self;
  if (self !== undefined)
    steps.unshift({ name: 'stop the self-announcement', run: (signal) => self.stop(o.withdraw, signal) });
  if (o.withdraw) steps.push(withdrawStep(o.registry, o.leaseTtl));
  steps.push({ name: 'close the registry', run: () => o.registry.close() });
  const { gateway, dns, ui, feeds } = o;
  if (ui !== undefined) steps.push({ name: 'stop the web UI', run: () => ui.stop() });
  if (gateway !== undefined) steps.push({ name: 'stop the gateway', run: (signal) => gateway.stop(signal) });
  const { publicZone } = o;
  if (publicZone !== undefined)
    steps.push({ name: 'stop updating the public zone', run: async () => publicZone.stop() });
  if (dns !== undefined) steps.push({ name: 'stop the DNS server', run: () => dns.stop() });
  if (feeds !== undefined) steps.push({ name: 'stop the record feeds', run: () => feeds.stop() });
  steps.push({ name: 'close the status server', run: () => o.status.close() });
  return steps;
}
