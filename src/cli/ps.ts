import type { Command } from 'commander';
import { decodeLabels, LABEL } from '../spec/labels.js';
import type { DockerRuntime, ObservedContainer } from '../runtime/docker.js';
import { dockerRuntime, hostContext, type GlobalOptions } from './context.js';
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
}

export function registerPs(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('ps')
    .description('list the services on this host: state, health, image, restarts, published address')
    .action(() => run(() => ps(program.opts<GlobalOptions>())));
}

async function ps(global: GlobalOptions): Promise<number> {
  const docker = dockerRuntime();
  const host = hostContext(global);
  const containers = (await docker.list(LABEL.service)).filter((c) => c.name === c.labels[LABEL.service]);
  const rows = await Promise.all(containers.map((c) => toRow(docker, c, host.addresses)));
  rows.sort((a, b) => a.name.localeCompare(b.name));
  makeOutput(global.json ?? false).print(table(rows), { services: rows });
  return 0;
}

async function toRow(docker: DockerRuntime, c: ObservedContainer, addresses: { public?: string | undefined; private?: string | undefined }): Promise<ServiceRow> {
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
  };
}

function table(rows: readonly ServiceRow[]): string {
  const header = ['SERVICE', 'STATUS', 'HEALTH', 'RESTARTS', 'IMAGE', 'PUBLISHED'];
  const lines = rows.map((r) => [r.name, r.status, r.health ?? '-', String(r.restarts), r.image, r.published ?? (r.announce_as === 'container' ? 'container' : '-')]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  return [header, ...lines].map((l) => l.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}
