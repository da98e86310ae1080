/**
 * etcd requests a second sent for one frontend's self-announcement (registry/etcd-self-lease.ts: a 2 s lease renewed
 * every 500 ms, hedged over the members), beside the agent's own lease (TTL 30 s, renewed every 10 s by the etcd3
 * client), counted by etcd itself: gRPC messages received by every member (`grpc_server_msg_received_total`, by
 * method) over a window in which nothing else talks to etcd. A three-member etcd on loopback, as in a cluster.
 *
 * Usage: node --import tsx bench/self-lease-etcd-requests.ts [--window SECONDS]   (default 60)
 * Needs /usr/bin/etcd. Prints a Markdown table on stdout; progress on stderr.
 */
import { Etcd3 } from 'etcd3';
import { EtcdMembers } from '../src/registry/etcd-members.js';
import { SelfLease } from '../src/registry/etcd-self-lease.js';
import { startEtcdCluster, type EtcdCluster } from '../test/integration/registry/etcd-process.js';
import { progress, runBench, sleep, table } from './common.js';

const windowS = Number(process.argv[process.argv.indexOf('--window') + 1] ?? '') || 60;
let cluster: EtcdCluster | undefined;

/** Messages received by every member, by method. */
async function received(endpoints: readonly string[]): Promise<Map<string, number>> {
  const byMethod = new Map<string, number>();
  for (const endpoint of endpoints) {
    const text = await (await fetch(`${endpoint}/metrics`)).text();
    for (const [, method = '', n = '0'] of text.matchAll(
      /^grpc_server_msg_received_total\{grpc_method="(\w+)"[^}]*\} (\d+)/gm,
    ))
      byMethod.set(method, (byMethod.get(method) ?? 0) + Number(n));
  }
  return byMethod;
}

async function perSecond(endpoints: readonly string[], during: () => Promise<void>): Promise<Map<string, number>> {
  const before = await received(endpoints);
  const started = Date.now();
  await during();
  const after = await received(endpoints);
  const seconds = (Date.now() - started) / 1000;
  const rates = new Map<string, number>();
  for (const [method, n] of after)
    if (n > (before.get(method) ?? 0)) rates.set(method, (n - (before.get(method) ?? 0)) / seconds);
  return rates;
}

async function main(): Promise<void> {
  cluster = await startEtcdCluster(3);
  const hosts = cluster.endpoints;
  progress(`etcd: ${hosts.join(',')}; window ${windowS} s each`);
  const agentLease = new Etcd3({ hosts }).lease(30);
  await agentLease.grant();
  const agent = await perSecond(hosts, () => sleep(windowS * 1000));
  const self = new SelfLease(new EtcdMembers({ hosts }, { requestTimeoutMs: 500 }), {
    announced: () => undefined,
    withdrawn: () => undefined,
    lost: () => undefined,
    failed: () => undefined,
    termChanged: () => undefined,
  });
  self.announce('/skydns/com/example/bench/www/bench-1', '{"host":"192.0.2.1","ttl":5}');
  await sleep(3000);
  const both = await perSecond(hosts, () => sleep(windowS * 1000));
  await self.close(true);
  await agentLease.revoke();
  const methods = [...new Set([...agent.keys(), ...both.keys()])].sort();
  const row = (m: string): string[] => {
    const [a, b] = [agent.get(m) ?? 0, both.get(m) ?? 0];
    return [m, a.toFixed(2), b.toFixed(2), (b - a).toFixed(2)];
  };
  const sum = (r: Map<string, number>): number => [...r.values()].reduce((x, y) => x + y, 0);
  process.stdout.write(
    table(
      ['etcd gRPC messages received / s', "agent's lease alone", 'with the self-announcement', 'self-announcement'],
      [
        ...methods.map(row),
        ['**total**', sum(agent).toFixed(2), sum(both).toFixed(2), (sum(both) - sum(agent)).toFixed(2)],
      ],
    ) + '\n',
  );
}

await runBench(main, async () => {
  await cluster?.kill();
});
