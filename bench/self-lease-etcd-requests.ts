/**
 * etcd requests a second sent for one frontend's self-announcement (registry/etcd-self-lease.ts: a 2 s lease renewed
 * every 500 ms, hedged over the members), beside the agent's own lease (TTL 30 s, renewed every 10 s by the etcd3
 * client), and with the check of silent peers (registry/etcd-peer-silence.ts: the name's records read every 2 s; its
 * probes of the peers' nginx, all answered here, go to nginx, not etcd), counted by etcd itself: gRPC messages
 * received by every member (`grpc_server_msg_received_total`, by method) over a window in which nothing else talks to
 * etcd. A three-member etcd on loopback, as in a cluster.
 *
 * Usage: node --import tsx bench/self-lease-etcd-requests.ts [--window SECONDS]   (default 60)
 * Needs /usr/bin/etcd. Prints a Markdown table on stdout; progress on stderr.
 */
import { Etcd3 } from 'etcd3';
import { EtcdMembers } from '../src/registry/etcd-members.js';
import { PeerSilence } from '../src/registry/etcd-peer-silence.js';
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
  const prefix = '/skydns/com/example/bench/www/';
  self.announce(`${prefix}bench-1`, '{"host":"192.0.2.1","ttl":5}');
  await sleep(3000);
  const both = await perSecond(hosts, () => sleep(windowS * 1000));
  // The check as another frontend (bench-2) runs it: bench-1 is its peer, and its nginx answers.
  const peers = new PeerSilence(
    new EtcdMembers({ hosts }, { requestTimeoutMs: 500 }),
    prefix,
    `${prefix}bench-2`,
    async () => undefined,
    {
      answered: () => undefined,
      withdrew: () => undefined,
      failed: () => undefined,
    },
  );
  await sleep(3000);
  const all = await perSecond(hosts, () => sleep(windowS * 1000));
  await peers.close();
  await self.close(true);
  await agentLease.revoke();
  const methods = [...new Set([...agent.keys(), ...both.keys(), ...all.keys()])].sort();
  const rate = (r: Map<string, number>, m: string): string => (r.get(m) ?? 0).toFixed(2);
  const sum = (r: Map<string, number>): string => [...r.values()].reduce((x, y) => x + y, 0).toFixed(2);
  process.stdout.write(
    table(
      ['etcd gRPC messages received / s', "agent's lease alone", 'with the self-announcement', 'and the peer check'],
      [
        ...methods.map((m) => [m, rate(agent, m), rate(both, m), rate(all, m)]),
        ['**total**', sum(agent), sum(both), sum(all)],
      ],
    ) + '\n',
  );
}

await runBench(main, async () => {
  await cluster?.kill();
});
