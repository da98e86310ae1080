import { hostKey, instanceKey, recordKey } from '../registry/path.js';
import { encodeRecord } from '../registry/record.js';
import type { HostRecord, ServiceStatus } from '../registry/host-record.js';
import type { PublishedPort } from '../runtime/engine.js';
import type { LabelledService } from '../service-spec/labels.js';
import { routeRecords, type AnnouncedRoutes } from './announce-routes.js';
import { clock, crashLoopHold, seconds, type RunHistory } from './crash-loop.js';

/** What the agent knows about one service container, from inspect and its own probe. */
export interface InstanceFacts {
  id: string;
  labels: LabelledService;
  running: boolean;
  restarting: boolean;
  restartCount: number;
  /** When the container last started, ms since the epoch. */
  startedAt: number;
  /** When its run before this one ended (Docker's State.FinishedAt), ms since the epoch; NaN before any. */
  finishedAt?: number | undefined;
  /** Its restarts as the agent saw them (crash-loop.ts), once it has been seen running. */
  runs?: RunHistory | undefined;
  /** Docker's health status when the image or spec has a HEALTHCHECK. */
  dockerHealth?: string | undefined;
  /** The agent's probe result when the service has a probe and no HEALTHCHECK. */
  probeHealth?: 'healthy' | 'unhealthy' | 'unknown' | undefined;
  /** Docker's count of health checks failed in a row, with a Docker health check. */
  failingStreak?: number | undefined;
  /** The Docker health check's interval, ms: how often a failing container is inspected again. */
  healthIntervalMs?: number | undefined;
  /** The probe's failures in a row, when the agent probes the container. */
  probeFailures?: number | undefined;
  /** The agent's restarts of this container for failing its checks (restart_unhealthy), as the restarter keeps them. */
  unhealthyRestarts?: UnhealthyRestarts | undefined;
  containerIp?: string | undefined;
  /** The host ports Docker bound for it: where an `auto` announce port comes from. */
  published?: readonly PublishedPort[] | undefined;
  /** The new container of a redeploy that overlaps the old one (`<service>_rundock_next`): announced beside it. */
  successor?: boolean | undefined;
}

/** Where the agent stands with restarting one unhealthy container (restart_unhealthy); see restart-policy.ts. */
export interface UnhealthyRestarts {
  /** Checks failed in a row, as last seen. */
  failures: number;
  /** The service's restart_unhealthy: failures that make a restart due. */
  threshold: number;
  /** Restarts the agent made of this container. */
  count: number;
  /** When it made the last one, ms since the epoch. */
  lastAt?: number | undefined;
  /** A restart is under way. */
  restarting: boolean;
  /** When the next restart is due while it keeps failing (backoff), ms since the epoch. */
  nextAt?: number | undefined;
}

export interface AnnounceSettings {
  domain: string;
  host: string;
  addresses: { public?: string | undefined; private?: string | undefined };
  /** DNS TTL written into each record, seconds. */
  ttl: number;
  priority?: number | undefined;
  weight?: number | undefined;
  /**
   * Uptime that proves a container without health evidence, and that a run before a crash must have lasted for the
   * restarted container to be announced on its first passing check (crash-loop.ts).
   */
  stableMs: number;
  /** A crash loop: this many restarts within this window (crash-loop.ts). */
  crashLoop: { restarts: number; windowMs: number };
  version: string;
  startedAt: string;
}

export interface Announcements {
  /** Every record this agent wants in the registry: key -> value text (SkyDNS records and its host record). */
  records: Map<string, string>;
  statuses: ServiceStatus[];
  /** When a decision changes by time alone (a hold ending), ms since the epoch. */
  recheckAt?: number | undefined;
}

/**
 * The self-announcement of a frontend (`--announce-self NAME`): its public address as `NAME.<domain>`, kept by
 * self-announcer.ts (on a short lease of its own with etcd), apart from the service records.
 */
export function selfAnnouncement(
  s: Pick<AnnounceSettings, 'domain' | 'host' | 'ttl' | 'priority' | 'weight'>,
  name: string,
  publicAddress: string,
): { key: string; value: string } {
  const { ttl, priority, weight } = s;
  return {
    key: recordKey(s.domain, name, s.host),
    value: encodeRecord({ host: publicAddress, ttl, priority, weight }),
  };
}

/**
 * Decides what to announce. Pure: a record exists only while its container runs and is healthy (its Docker health
 * check, else its probe, else staying up for the stable time), and is not crash-looping (crash-loop.ts).
 */
export function decideAnnouncements(
  instances: Iterable<InstanceFacts>,
  s: AnnounceSettings,
  now: number,
): Announcements {
  const records = new Map<string, string>();
  const statuses: ServiceStatus[] = [];
  const routed: AnnouncedRoutes[] = [];
  let recheckAt: number | undefined;
  for (const facts of instances) {
    const address = addressOf(facts, s);
    // A stopped container has no binding either: "not running" is the reason then, not the missing port.
    const live = facts.running && !facts.restarting;
    const verdict = address === undefined && live ? { reason: noAddressReason(facts, s) } : heldBack(facts, s, now);
    if (verdict === undefined && address !== undefined) {
      const { ip, port } = address;
      records.set(
        keyOf(facts, s),
        encodeRecord({ host: ip, port, ttl: s.ttl, priority: s.priority, weight: s.weight }),
      );
      statuses.push({ ...describe(facts), announced: true, reason: 'running and healthy', address: `${ip}:${port}` });
      routed.push(facts);
      continue;
    }
    const until = verdict?.until;
    statuses.push({
      ...describe(facts),
      announced: false,
      reason: verdict?.reason ?? '',
      ...(until !== undefined && { held_until: clock(until) }),
    });
    if (until !== undefined && until > now) recheckAt = Math.min(recheckAt ?? until, until);
  }
  statuses.sort((a, b) => a.service.localeCompare(b.service));
  for (const [key, value] of routeRecords(routed, s.host, s.domain)) records.set(key, value);
  const hostRecord: HostRecord = {
    host: s.host,
    addresses: s.addresses,
    version: s.version,
    started_at: s.startedAt,
    services: statuses,
  };
  records.set(hostKey(s.host), JSON.stringify(hostRecord));
  return { records, statuses, recheckAt };
}

/** The service's record on this host; a redeploy's new container has one below it until it takes the service's name. */
function keyOf(f: InstanceFacts, s: AnnounceSettings): string {
  const service = f.labels.service;
  return f.successor ? instanceKey(s.domain, service, s.host, f.id.slice(0, 12)) : recordKey(s.domain, service, s.host);
}

function describe(f: InstanceFacts): Omit<ServiceStatus, 'announced' | 'reason' | 'address'> {
  const state = f.restarting ? 'restarting' : f.running ? 'running' : 'stopped';
  const health = f.dockerHealth ?? f.probeHealth;
  const agent: Pick<UnhealthyRestarts, 'count' | 'lastAt'> | undefined =
    f.labels.restartUnhealthy === undefined ? undefined : (f.unhealthyRestarts ?? { count: 0 });
  return {
    service: f.labels.service,
    container: f.id,
    image: f.labels.image,
    state,
    ...(health !== undefined && { health }),
    restarts: f.restartCount,
    ...(f.successor && { successor: true as const }),
    ...(f.labels.routes !== undefined && { routes: [...f.labels.routes] }),
    ...(agent !== undefined && { unhealthy_restarts: agent.count }),
    ...(agent?.lastAt !== undefined && { last_unhealthy_restart: new Date(agent.lastAt).toISOString() }),
  };
}

/** Why a container has no address to announce. */
function noAddressReason(f: InstanceFacts, s: AnnounceSettings): string {
  const { announceAs, announce, port } = f.labels;
  if (announceAs === 'container' || announce === undefined) return 'nothing to announce (no announce port)';
  const ip = s.addresses[announceAs];
  if (ip === undefined) return `nothing to announce (this agent knows no ${announceAs} address)`;
  const elsewhere = (f.published ?? [])
    .filter((p) => p.containerPort === `${port}/tcp`)
    .map((p) => `${p.hostIp}:${p.hostPort}`);
  return `no port published on ${ip} for ${port}/tcp${elsewhere.length > 0 ? ` (published on ${elsewhere.join(', ')}: the deploy used another ${announceAs} address than this agent)` : ''}`;
}

/** Why a running container is not announced, and until when when that ends by time alone; undefined: announce it. */
function heldBack(f: InstanceFacts, s: AnnounceSettings, now: number): { reason: string; until?: number } | undefined {
  if (f.restarting) return { reason: `restarting (${f.restartCount} restarts)` };
  if (!f.running) return { reason: 'not running' };
  const hold = crashLoopHold(f.runs, { ...s.crashLoop, stableMs: s.stableMs }, now);
  if (hold !== undefined) return hold;
  if (f.dockerHealth !== undefined && f.dockerHealth !== 'healthy')
    return { reason: `health check: ${f.dockerHealth}${restartNote(f.unhealthyRestarts)}` };
  if (f.dockerHealth === undefined && f.probeHealth !== undefined && f.probeHealth !== 'healthy')
    return { reason: `probe: ${f.probeHealth}${restartNote(f.unhealthyRestarts)}` };
  // Without health evidence (no check, no probe), staying up is the evidence, after every start.
  const stableAt = f.startedAt + s.stableMs;
  if (f.dockerHealth === undefined && f.probeHealth === undefined && stableAt > now)
    return {
      reason: `no health check or probe; announced once up for ${seconds(s.stableMs)}, at ${clock(stableAt)}`,
      until: stableAt,
    };
  return undefined;
}

/**
 * What the agent does about a failing container with restart_unhealthy, for the reason. Times are absolute, so the
 * text (and the host record) does not change while nothing happens.
 */
function restartNote(r: UnhealthyRestarts | undefined): string {
  if (r === undefined) return '';
  const restarted = r.count > 0 ? `restarted ${r.count} times by the agent` : '';
  if (r.restarting) return ` (the agent restarts it: ${r.failures} failed checks in a row)`;
  if (r.nextAt !== undefined) return ` (${restarted}; next restart at ${clock(r.nextAt)})`;
  if (r.failures > 0)
    return ` (${r.failures} of ${r.threshold} failed checks before the agent restarts it${restarted && `; ${restarted}`})`;
  return restarted === '' ? '' : ` (${restarted})`;
}

/**
 * The address to announce: the host's private/public address and `announce` (with `auto`, the host port Docker bound
 * for the container port on that address), or the container's own address and `port`.
 */
export function addressOf(f: InstanceFacts, s: AnnounceSettings): { ip: string; port: number } | undefined {
  const { announceAs, announce, port } = f.labels;
  if (announceAs === 'container') {
    const ip = f.containerIp ?? s.addresses.private;
    return ip !== undefined && port !== undefined ? { ip, port } : undefined;
  }
  const ip = s.addresses[announceAs];
  if (ip === undefined || announce === undefined) return undefined;
  if (announce !== 'auto') return { ip, port: announce };
  const bound = f.published?.find(
    (p) => p.containerPort === `${port}/tcp` && (p.hostIp === ip || p.hostIp === '0.0.0.0'),
  );
  return bound === undefined || !(bound.hostPort > 0) ? undefined : { ip, port: bound.hostPort };
}
