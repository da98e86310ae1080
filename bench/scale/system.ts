/**
 * The servers bench/scale measures, all on loopback, all stopped by stop(): a three-member etcd (members on
 * 127.0.0.11-13, so the simulated hosts' clients spread over them), the real `rundock dns`, and the real
 * `rundock gateway` rendering for a throwaway nginx it reloads.
 */
import { join } from 'node:path';
import { startDnsProcess, type DnsProcess } from '../../test/integration/dns/dns-process.js';
import { startNginx, type NginxProcess } from '../../test/integration/gateway/nginx-process.js';
import { startEtcdCluster, type EtcdCluster } from '../../test/integration/registry/etcd-process.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import { DOMAIN, routedServices, serviceName, type Layout } from './layout.js';

export interface System {
  etcd: EtcdCluster;
  dns: DnsProcess;
  nginx: NginxProcess;
  gateway: GatewayProcess;
  stop(): Promise<void>;
}

/** Starts every server in turn; on a failure stops what started. `dir`: where the logs go. */
export async function startSystem(dir: string, layout: Layout): Promise<System> {
  const started: { stop(): Promise<unknown> }[] = [];
  const stop = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };
  try {
    const etcd = await startEtcdCluster(3, { address: (i) => `127.0.0.${11 + i}` });
    started.push({ stop: () => etcd.kill() });
    const dns = await startDnsProcess({
      etcd: etcd.endpoints.join(','),
      domain: DOMAIN,
      env: { RUNDOCK_LOG_LEVEL: 'warn' },
    });
    started.push({ stop: () => dns.stop('SIGKILL') });
    const nginx = await startNginx(2);
    started.push(nginx);
    const gateway = await startGatewayProcess({
      etcd: etcd.endpoints,
      domain: DOMAIN,
      nginx,
      routes: [
        { hostname: 'app.scale.example.com', service: serviceName(0) },
        ...routedServices(layout).map((service) => ({ hostname: `${service}.scale.example.com`, service })),
      ],
      onlyRouted: layout.routedEvery !== undefined,
      logFile: join(dir, 'gateway.log'),
    });
    started.push(gateway);
    return { etcd, dns, nginx, gateway, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
