/**
 * What the fault tests look at, shared by every file of the suite: where grafana on node-back-1 stands in DNS and in
 * both frontends' nginx, the records a host has in etcd, a load report in one line, and each file's set-up.
 */
import { after, beforeEach } from 'node:test';
import {
  DOMAIN,
  etcdKeys,
  figures,
  FRONTENDS,
  LEASE_TTL_MS,
  nginxGrafanaServers,
  PRIVATE,
  resolveA,
  waitClusterSettled,
  type Host,
  type LoadReport,
} from './cluster.js';

export const BACK = 'node-back-1';
export const GRAFANA_BACK = `${PRIVATE[BACK]}:8087`;

export const backGrafanaGone = async (): Promise<boolean> =>
  (await resolveA(`${BACK}.grafana.${DOMAIN}`)) === 'NXDOMAIN';
export const backGrafanaBack = async (): Promise<boolean> => Array.isArray(await resolveA(`${BACK}.grafana.${DOMAIN}`));

/** Whether no frontend's nginx lists `server` in grafana's upstream. */
export const notInNginx = (server: string) => async (): Promise<boolean> =>
  (await Promise.all(FRONTENDS.map(nginxGrafanaServers))).every((servers) => !servers.includes(server));
/** Whether every frontend's nginx lists `server` in grafana's upstream. */
export const inNginx = (server: string) => async (): Promise<boolean> =>
  (await Promise.all(FRONTENDS.map(nginxGrafanaServers))).every((servers) => servers.includes(server));

/** The record keys HOST has in etcd (its DNS records; host records live outside /skydns). */
export const keysOf = async (host: Host): Promise<string[]> =>
  ((await etcdKeys()) ?? []).filter((k) => k.endsWith(`/${host}`));

export function loadLine(r: LoadReport): string {
  const failed = r.failed.slice(0, 3).map((f) => `${f.frontend} +${f.at}ms: ${f.error}`);
  return `${r.requests} requests through nginx, ${r.failures} failed${failed.length > 0 ? ` (${failed.join('; ')})` : ''}, slowest ${r.maxMs} ms`;
}

/**
 * Each test file's set-up: every test starts from the cluster as deployed (all records in etcd, DNS and both nginx)
 * and leaves it so; the figures measured are printed at the end.
 */
export function clusterSuite(): void {
  beforeEach(() => waitClusterSettled(60_000));
  after(() => {
    if (figures.length === 0) return;
    process.stderr.write(
      `\n== measured on the reference cluster (lease TTL ${LEASE_TTL_MS / 1000} s) ==\n${figures.map((f) => `- ${f}`).join('\n')}\n`,
    );
  });
}
