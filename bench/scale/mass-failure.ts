/**
 * Mass failure: 10 % of the hosts (one group of consecutive hosts, a rack: layout.ts) are cut off at once: their agents stop and their
 * etcd connections close without withdrawing anything, as when their network goes. Their records must all be gone
 * within the lease TTL + 1 s (etcd expires the leases; DNS and the gateway follow), no other host's key may be
 * touched (an etcd watch on the domain and on the host records sees every change), and DNS must keep answering the
 * other hosts' names throughout (a query every 10 ms).
 */
import type { Watcher } from 'etcd3';
import { domainPrefix, hostKey, HOSTS_PREFIX } from '../../src/registry/path.js';
import { orFalse, waitFor } from '../../test/support/wait.js';
import { sleep } from '../common.js';
import { dnsRecords, instanceTotal, renderedTotal, type Context } from './context.js';
import { DOMAIN, hostName, instanceKeyOf, instanceName, instancesOf, middleGroup, renderedOn } from './layout.js';
import { now, reportedServers, serverCount } from './observers.js';

export interface MassFailure {
  hosts: number;
  records: number;
  /** The bound: lease TTL + 1 s, ms. */
  limitMs: number;
  /** Ms from the cut until the last of their records was deleted in etcd, left DNS's zone, the file, nginx. */
  etcd: number;
  dns: number;
  file: number;
  served: number;
  /** Changes seen on keys of hosts that were not cut (must be none). */
  othersTouched: string[];
  /** DNS queries for the other hosts' names during the whole phase. */
  queries: { sent: number; answered: number; wrong: number; unanswered: number };
}

export async function massFailure(ctx: Context): Promise<MassFailure> {
  const cut = middleGroup(ctx.layout);
  const healthy = Array.from({ length: ctx.layout.hosts }, (_, h) => h).filter((h) => !cut.includes(h));
  const pending = new Set(cut.flatMap((h) => [...instancesOf(ctx.layout, h).map(instanceKeyOf), hostKey(hostName(h))]));
  const records = cut.length * ctx.layout.servicesPerHost;
  const othersTouched: string[] = [];
  let lastDelete = 0;
  const onChange = (kind: string) => (kv: { key: Buffer }) => {
    const key = kv.key.toString();
    if (kind === 'delete' && pending.delete(key)) lastDelete = now();
    else othersTouched.push(`${kind} ${key}`);
  };
  const watchers: Watcher[] = [];
  for (const prefix of [domainPrefix(DOMAIN), HOSTS_PREFIX]) {
    const w = await ctx.etcd.watch().prefix(prefix).create();
    w.on('put', onChange('put')).on('delete', onChange('delete'));
    watchers.push(w);
  }
  const queries = { sent: 0, answered: 0, wrong: 0, unanswered: 0 };
  let querying = true;
  const loop = queryLoop(ctx, healthy, queries, () => querying);
  const remaining = instanceTotal(ctx) - records;
  const renderedLeft = renderedTotal(ctx) - renderedOn(ctx.layout, cut);
  const timeoutMs = ctx.leaseTtl * 1000 + 30_000;
  let times: number[];
  let cutAt = 0;
  try {
    cutAt = await ctx.fleet.cut(cut);
    times = await Promise.all([
      waitFor(() => pending.size === 0, timeoutMs, 10, 'cut records deleted in etcd').then(() => lastDelete),
      waitFor(
        orFalse(async () => (await dnsRecords(ctx)) === remaining),
        timeoutMs,
        20,
        'DNS',
      ).then(now),
      ctx.file.until((text) => serverCount(text) === renderedLeft, timeoutMs, `${renderedLeft} servers in the file`),
      ctx.serving.until((r) => reportedServers(r) === renderedLeft, timeoutMs, `${renderedLeft} servers served`),
    ]);
    await sleep(2000); // DNS keeps being asked, and late changes to other keys are seen
  } catch (error) {
    const seen = `file ${serverCount(ctx.file.value)}, served ${reportedServers(ctx.serving.value)}, etcd ${pending.size} left`;
    throw new Error(`${error instanceof Error ? error.message : String(error)} (now: ${seen})`, { cause: error });
  } finally {
    querying = false;
    await loop;
    await Promise.all(watchers.map((w) => w.cancel()));
  }
  const [etcd = 0, dns = 0, file = 0, served = 0] = times;
  return {
    hosts: cut.length,
    records,
    limitMs: ctx.leaseTtl * 1000 + 1000,
    etcd: etcd - cutAt,
    dns: dns - cutAt,
    file: file - cutAt,
    served: served - cutAt,
    othersTouched,
    queries,
  };
}

/** Asks for a random healthy instance every 10 ms: it must get exactly its one address. */
async function queryLoop(
  ctx: Context,
  healthy: readonly number[],
  counts: MassFailure['queries'],
  going: () => boolean,
): Promise<void> {
  while (going()) {
    const host = healthy[Math.floor(Math.random() * healthy.length)] ?? 0;
    const instance = instancesOf(ctx.layout, host)[Math.floor(Math.random() * ctx.layout.servicesPerHost)];
    if (instance === undefined) continue;
    counts.sent++;
    const reply = await ctx.dns.query(instanceName(instance), 'A', { waitMs: 1000 });
    if (reply === undefined) counts.unanswered++;
    else if (reply.rcode === 'NOERROR' && reply.answers.length === 1) counts.answered++;
    else counts.wrong++;
    await sleep(10);
  }
}
