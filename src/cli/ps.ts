import type { Command } from 'commander';
import { decodeLabels, LABEL } from '../spec/labels.js';
import type { ObservedContainer } from '../runtime/docker.js';
import type { ContainerEngine } from '../runtime/engine.js';
import type { HostRecord, ServiceStatus } from '../agent/announce.js';
import { HOSTS_PREFIX } from '../registry/path.js';
import { ValidationError } from '../shared/errors.js';
import { agentAddress, DEFAULT_STATUS_LISTEN, dockerRuntime, hostContext, type GlobalOptions } from './context.js';
import { loadHostConfig } from '../shared/config.js';
import { addEtcdOptions, etcdConnection, type EtcdFlags } from './etcd-flags.js';
import { makeOutput } from './output.js';

/** One row of `rundock ps`, as printed with --json. */
export interface ServiceRow {
  name: string;
  container_id: string;
  status: string;
  health: string | null;
  restarts: number;
  started_at: string | null;
  image: string;
  image_id: string;
  announce_as: string;
  published: string | null;
  /** From the local agent's /status; null when no agent answers. */
  announced: boolean | null;
  reason: string | null;
  /** With restart_unhealthy: the agent's restarts of the container for failing its checks; else null. */
  unhealthy_restarts: number | null;
}

interface PsOptions extends EtcdFlags {
  all?: boolean;
  agent?: string;
}

export function registerPs(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const command = program
    .command('ps')
    .description(
      'list the services on this host: state, health, restarts, published address, and whether (and why not) the agent announces them',
    )
    .option('--agent <addr:port>', `the local agent's status address (default ${DEFAULT_STATUS_LISTEN})`)
    .option('--all', "every host's services, from the registry's host records (needs --etcd)");
  addEtcdOptions(command, 'etcd endpoints, comma separated, for --all').action((opts: PsOptions) =>
    run(() => (opts.all ? psAll(opts, program.opts<GlobalOptions>()) : ps(opts, program.opts<GlobalOptions>()))),
  );
}

async function ps(opts: PsOptions, global: GlobalOptions): Promise<number> {
  const docker = dockerRuntime();
  const host = hostContext(global);
  const [listed, agentView] = await Promise.all([
    docker.list(LABEL.service),
    agentStatus(agentAddress(opts.agent, global)),
  ]);
  const containers = listed.filter((c) => c.name === c.labels[LABEL.service]);
  const rows = await Promise.all(containers.map((c) => toRow(docker, c, host.addresses, agentView?.get(c.name))));
  rows.sort((a, b) => a.name.localeCompare(b.name));
  makeOutput(global.json ?? false).print(table(rows), { services: rows });
  return 0;
}

/** The local agent's view of each service (announced, and why not), or undefined when no agent answers quickly. */
async function agentStatus(listen: string): Promise<Map<string, ServiceStatus> | undefined> {
  try {
    const response = await fetch(`http://${listen}/status`, { signal: AbortSignal.timeout(500) });
    const body = (await response.json()) as { services?: ServiceStatus[] };
    return new Map((body.services ?? []).filter((s) => s.successor !== true).map((s) => [s.service, s]));
  } catch {
    return undefined;
  }
}

async function toRow(
  docker: ContainerEngine,
  c: ObservedContainer,
  addresses: { public?: string | undefined; private?: string | undefined },
  agent: ServiceStatus | undefined,
): Promise<ServiceRow> {
  const labels = decodeLabels(c.labels);
  const state = await docker.inspect(c.id);
  const ip = labels && labels.announceAs !== 'container' ? addresses[labels.announceAs] : undefined;
  return {
    name: c.name,
    container_id: c.id,
    status: state.status,
    health: state.health ?? null,
    restarts: state.restartCount,
    started_at: state.running ? state.startedAt : null,
    image: labels?.image ?? '',
    image_id: c.imageId,
    announce_as: labels?.announceAs ?? 'private',
    published: ip !== undefined && labels?.announce !== undefined ? `${ip}:${labels.announce}` : null,
    announced: agent?.announced ?? null,
    reason: agent?.reason ?? null,
    unhealthy_restarts: agent?.unhealthy_restarts ?? null,
  };
}

function table(rows: readonly ServiceRow[]): string {
  const header = ['SERVICE', 'STATUS', 'HEALTH', 'RESTARTS', 'IMAGE', 'PUBLISHED', 'ANNOUNCED'];
  const announced = (r: ServiceRow): string =>
    r.announced === null ? '- (no agent)' : r.announced ? 'yes' : `no: ${r.reason ?? ''}`;
  const lines = rows.map((r) => [
    r.name,
    r.status,
    r.health ?? '-',
    r.unhealthy_restarts ? `${r.restarts} (+${r.unhealthy_restarts} unhealthy)` : String(r.restarts),
    r.image,
    r.published ?? (r.announce_as === 'container' ? 'container' : '-'),
    announced(r),
  ]);
  return formatTable(header, lines);
}

/** `ps --all`: every host's services from the host records agents keep in etcd. */
async function psAll(opts: PsOptions, global: GlobalOptions): Promise<number> {
  const connection = etcdConnection(opts, loadHostConfig(global.config));
  if (connection === undefined)
    throw new ValidationError(
      'etcd',
      undefined,
      'is required with --all (--etcd, RUNDOCK_ETCD or etcd in the config file)',
    );
  const { EtcdRegistry } = await import('../registry/etcd.js');
  const registry = new EtcdRegistry(connection);
  try {
    const hosts = [...(await registry.list(HOSTS_PREFIX)).values()]
      .map((text) => JSON.parse(text) as HostRecord)
      .sort((a, b) => a.host.localeCompare(b.host));
    const lines = hosts.flatMap((h) =>
      h.services.map((s) => [h.host, s.service, s.announced ? 'yes' : 'no', s.address ?? '-', s.reason]),
    );
    makeOutput(global.json ?? false).print(formatTable(['HOST', 'SERVICE', 'ANNOUNCED', 'ADDRESS', 'REASON'], lines), {
      hosts,
    });
  } finally {
    await registry.close();
  }
  return 0;
}

function formatTable(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  return [header, ...lines]
    .map((l) =>
      l
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
