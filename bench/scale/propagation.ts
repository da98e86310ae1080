/**
 * Propagation: a container killed in a simulated host's engine (it dies, Docker's `die` event reaches the agent,
 * which withdraws its record), timed until its name gets NXDOMAIN from `rundock dns`, until its server line leaves
 * the gateway's file, and until nginx serves without it (the gateway's report after the reload). Then the container
 * starts again and the bench waits until it is back everywhere before the next kill, after a random pause: the
 * kills are spread over time, each measured from a settled state. Victims are drawn with a fixed seed.
 */
import { sleep } from '../common.js';
import type { Context } from './context.js';
import { domainPrefix } from '../../src/registry/path.js';
import {
  DOMAIN,
  hostAddress,
  instanceKeyOf,
  instanceName,
  instancesOf,
  isRendered,
  serverLine,
  type Instance,
} from './layout.js';
import { DeleteWatch, dnsUntil, reports } from './observers.js';
import { sampleEtcd, sampleProcess } from './samples.js';
import type { Reload } from './gateway-process.js';

const DNS_TIMEOUT_MS = 5_000;
const GATEWAY_TIMEOUT_MS = 15_000;
const MAX_PAUSE_MS = 1_000;

/** Milliseconds from each kill to each point; NaN where the deadline passed first. */
export interface Propagation {
  /** From the kill to the record's delete, as an etcd watch sees it: the agent's share (and etcd's commit). */
  deleted: number[];
  dns: number[];
  file: number[];
  served: number[];
  /** The gateway's renders during the phase (kills and revivals). */
  reloads: Reload[];
  /** CPU seconds spent over the phase, and the registry changes made (a kill and a revival each). */
  cpu: { dns: number; gateway: number };
  changes: number;
  /** etcd over the phase: bytes of values put (host records, the gateway's reports), and its database's growth. */
  etcd: { putBytes: number; dbGrowth: number };
}

export async function propagation(
  ctx: Context,
  kills: number,
  onProgress: (done: number) => void,
): Promise<Propagation> {
  const random = seeded(24);
  const result: Propagation = {
    ...{ deleted: [], dns: [], file: [], served: [], reloads: [], cpu: { dns: 0, gateway: 0 } },
    ...{ changes: 0, etcd: { putBytes: 0, dbGrowth: 0 } },
  };
  const { dns, gateway, etcd } = ctx.system;
  const [dnsBefore, gatewayBefore, etcdBefore] = await Promise.all([
    sampleProcess(dns.pid),
    sampleProcess(gateway.pid),
    sampleEtcd(etcd.endpoints),
  ]);
  const firstReload = gateway.reloads.length;
  const deletes = new DeleteWatch(ctx.etcd, domainPrefix(DOMAIN));
  await deletes.start();
  for (let i = 0; i < kills; i++) {
    const host = Math.floor(random() * ctx.layout.hosts);
    const candidates = instancesOf(ctx.layout, host).filter((c) => isRendered(ctx.layout, c));
    const victim = candidates[Math.floor(random() * candidates.length)];
    if (victim === undefined) throw new Error('no victim');
    const [e, d, f, s] = await killOnce(ctx, deletes, victim);
    result.deleted.push(e ?? Number.NaN);
    result.dns.push(d ?? Number.NaN);
    result.file.push(f ?? Number.NaN);
    result.served.push(s ?? Number.NaN);
    await reviveOnce(ctx, victim);
    result.changes += 2;
    onProgress(i + 1);
    await sleep(random() * MAX_PAUSE_MS);
  }
  await deletes.stop();
  const [dnsAfter, gatewayAfter, etcdAfter] = await Promise.all([
    sampleProcess(dns.pid),
    sampleProcess(gateway.pid),
    sampleEtcd(etcd.endpoints),
  ]);
  result.etcd = {
    putBytes: etcdAfter.putBytes - etcdBefore.putBytes,
    dbGrowth: etcdAfter.dbBytes - etcdBefore.dbBytes,
  };
  result.cpu = {
    dns: dnsAfter.cpuSeconds - dnsBefore.cpuSeconds,
    gateway: gatewayAfter.cpuSeconds - gatewayBefore.cpuSeconds,
  };
  result.reloads = gateway.reloads.slice(firstReload);
  return result;
}

/**
 * Kills the victim; resolves to the ms until its record was deleted in etcd, and until DNS, the file and nginx had it
 * gone (NaN: not within the deadline).
 */
async function killOnce(ctx: Context, deletes: DeleteWatch, victim: Instance): Promise<number[]> {
  const address = `${hostAddress(victim.host)}:${victim.port}`;
  const line = serverLine(victim);
  const waits = [
    deletes.next(instanceKeyOf(victim), DNS_TIMEOUT_MS),
    dnsUntil(ctx.dns, instanceName(victim), 'NXDOMAIN', DNS_TIMEOUT_MS),
    ctx.file.until((text) => !text.includes(line), GATEWAY_TIMEOUT_MS, 'server gone from the file'),
    ctx.serving.until((r) => !reports(r, victim.service, address), GATEWAY_TIMEOUT_MS, 'server no longer served'),
  ];
  const killedAt = await ctx.fleet.kill(victim.host, victim.slot);
  const settled = await Promise.allSettled(waits);
  return settled.map((r) => (r.status === 'fulfilled' ? Math.max(0, r.value - killedAt) : Number.NaN));
}

/** Starts the victim again and waits until DNS answers it and nginx serves it. */
async function reviveOnce(ctx: Context, victim: Instance): Promise<void> {
  const address = `${hostAddress(victim.host)}:${victim.port}`;
  await ctx.fleet.revive(victim.host, victim.slot);
  await Promise.all([
    dnsUntil(ctx.dns, instanceName(victim), 'NOERROR', DNS_TIMEOUT_MS),
    ctx.file.until((text) => text.includes(serverLine(victim)), GATEWAY_TIMEOUT_MS, 'server back in the file'),
    ctx.serving.until((r) => reports(r, victim.service, address), GATEWAY_TIMEOUT_MS, 'server served again'),
  ]);
}

/** A small deterministic PRNG (mulberry32): the same victims in every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
