/** What every phase of bench/scale works with: the layout, the servers, the simulated hosts and the observers. */
import type { Etcd3 } from 'etcd3';
import type { UdpClient } from '../../test/integration/dns/client.js';
import type { Fleet } from './fleet.js';
import { renderedOn, type Layout } from './layout.js';
import type { FileWatch, ServingWatch } from './observers.js';
import type { System } from './system.js';

export interface Context {
  layout: Layout;
  leaseTtl: number;
  system: System;
  fleet: Fleet;
  file: FileWatch;
  serving: ServingWatch;
  dns: UdpClient;
  /** A plain etcd3 client of the bench's own, for watches and counts outside the measured windows. */
  etcd: Etcd3;
}

/** Instances in the domain: N x S. */
export function instanceTotal(ctx: Context): number {
  return ctx.layout.hosts * ctx.layout.servicesPerHost;
}

/** Instances whose servers are in the gateway's file: all of them, or those of the routed services. */
export function renderedTotal(ctx: Context): number {
  return renderedOn(
    ctx.layout,
    Array.from({ length: ctx.layout.hosts }, (_, h) => h),
  );
}

/** Records in `rundock dns`'s zone, from its /status. */
export async function dnsRecords(ctx: Context): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${ctx.system.dns.metricsPort}/status`, {
    signal: AbortSignal.timeout(5000),
  });
  return ((await response.json()) as { records: number }).records;
}
