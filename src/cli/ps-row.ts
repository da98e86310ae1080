/** The rows of `rundock ps`, from what Docker and the host's agent report. Pure. */
import type { AgentService } from '../deploy/handover.js';
import type { ContainerState, ObservedContainer } from '../runtime/engine.js';
import { decodeLabels } from '../service-spec/labels.js';

/** One row of `rundock ps`, as printed with --json. */
export interface ServiceRow {
  name: string;
  container_id: string;
  status: string;
  /** Docker's health status, else the agent probe's; null without either (or without an agent for a probe). */
  health: string | null;
  /** Where `health` comes from: Docker's health check, or the agent's probe. */
  health_check: 'docker' | 'probe' | null;
  restarts: number;
  started_at: string | null;
  image: string;
  image_id: string;
  announce_as: string;
  /** Docker's binding of the announce port (`ip:port`), or with --network host the address the service listens on. */
  published: string | null;
  network: string;
  /** From the local agent's /status; null when no agent answers. */
  announced: boolean | null;
  reason: string | null;
  /** With restart_unhealthy: the agent's restarts of the container for failing its checks; else null. */
  unhealthy_restarts: number | null;
  /** Its public routes, `HOST[/PATH]` (its io.rundock.routes label); empty without any. */
  routes: string[];
}

/**
 * One service's row. `agent` is undefined when no agent answers; `agent.status` undefined when it answers but does
 * not list the service (it lists what it has seen start: a container only created is not running, and so not
 * announced).
 */
export function serviceRow(
  c: ObservedContainer,
  state: ContainerState,
  addresses: { public?: string | undefined; private?: string | undefined },
  agent: { status?: AgentService | undefined } | undefined,
): ServiceRow {
  const labels = decodeLabels(c.labels);
  const probe = state.health === undefined && agent?.status?.health !== undefined;
  return {
    name: c.name,
    container_id: c.id,
    status: state.status,
    health: state.health ?? agent?.status?.health ?? null,
    health_check: state.health !== undefined ? 'docker' : probe ? 'probe' : null,
    restarts: state.restartCount,
    started_at: state.running ? state.startedAt : null,
    image: labels?.image ?? '',
    image_id: c.imageId,
    announce_as: labels?.announceAs ?? 'private',
    published: publishedOf(state, labels, addresses),
    network: state.networkMode,
    announced: agent === undefined ? null : (agent.status?.announced ?? false),
    reason: agent === undefined ? null : (agent.status?.reason ?? unlistedReason(state)),
    unhealthy_restarts: agent?.status?.unhealthy_restarts ?? null,
    routes: [...(labels?.routes ?? [])],
  };
}

/**
 * Docker's actual binding of the announce port (`docker port`); with `--network host`, the host address the service
 * listens on itself. A stopped container has no binding.
 */
function publishedOf(
  state: ContainerState,
  labels: ReturnType<typeof decodeLabels>,
  addresses: { public?: string | undefined; private?: string | undefined },
): string | null {
  if (labels === undefined || labels.announceAs === 'container' || labels.announce === undefined) return null;
  if (state.networkMode === 'host') {
    const ip = addresses[labels.announceAs];
    return ip === undefined || labels.announce === 'auto' ? null : `${ip}:${labels.announce}`;
  }
  const port = labels.port ?? (labels.announce === 'auto' ? undefined : labels.announce);
  const bound = state.published.filter((p) => p.containerPort === `${port}/tcp`);
  return bound.length === 0 ? null : bound.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}`).join(', ');
}

/** Why the agent does not list a container it would announce: it is not running. */
function unlistedReason(state: ContainerState): string {
  return state.running ? 'not seen by the agent yet' : 'not running';
}

/** The human table. */
export function psTable(rows: readonly ServiceRow[]): string {
  const header = ['SERVICE', 'STATUS', 'HEALTH', 'RESTARTS', 'IMAGE', 'PUBLISHED', 'ROUTES', 'ANNOUNCED'];
  const announced = (r: ServiceRow): string =>
    r.announced === null ? '- (no agent)' : r.announced ? 'yes' : `no: ${r.reason ?? ''}`;
  const health = (r: ServiceRow): string =>
    r.health === null ? '-' : r.health_check === 'probe' ? `${r.health} (probe)` : r.health;
  const published = (r: ServiceRow): string =>
    r.published === null
      ? r.announce_as === 'container'
        ? 'container'
        : '-'
      : r.network === 'host'
        ? `${r.published} (host network)`
        : r.published;
  const restarts = (r: ServiceRow): string =>
    r.unhealthy_restarts ? `${r.restarts} (+${r.unhealthy_restarts} unhealthy)` : String(r.restarts);
  const routes = (r: ServiceRow): string => (r.routes.length === 0 ? '-' : r.routes.join(','));
  const lines = rows.map((r) => [
    r.name,
    r.status,
    health(r),
    restarts(r),
    r.image,
    published(r),
    routes(r),
    announced(r),
  ]);
  return formatTable(header, lines);
}

export function formatTable(header: string[], lines: string[][]): string {
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
