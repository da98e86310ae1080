/**
 * What a deploy waits on beyond Docker: the host's agent (is the new container announced?) and, through the agent's
 * view of the registry, every gateway (does its nginx serve the new address, and no longer the old one?). The agent
 * answers on its status address (docs/records.md): GET /status lists its service containers with the address each
 * is announced at, GET /gateways the reports every running gateway keeps in the registry.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServingReport } from '../registry/serving-report.js';
import { ERROR_CODES, RundockError, type ErrorCode } from '../shared/errors.js';
import { getJson, HttpStatusError } from '../shared/http-json.js';

/** Progress text while waiting, e.g. for a terminal. */
export type Progress = (text: string) => void;

export interface Handover {
  /** Where the agent announces each container of `service` now, by container ID (`ip:port`). */
  addresses(service: string): Promise<Map<string, string>>;
  /** Waits until the agent announces the container; resolves to its address. RUNDOCK_E_UNHEALTHY after the time. */
  announced(containerId: string, timeoutMs: number, progress?: Progress): Promise<string>;
  /** Waits until every gateway that renders `service` has `address` in its upstream. */
  served(service: string, address: string, timeoutMs: number, progress?: Progress): Promise<void>;
  /** Waits until no gateway has `address` in `service`'s upstream any more. */
  withdrawn(service: string, address: string, timeoutMs: number, progress?: Progress): Promise<void>;
}

/** One service container as the agent reports it (GET /status). */
export interface AgentService {
  service: string;
  container: string;
  announced: boolean;
  reason: string;
  address?: string;
  health?: string;
  successor?: boolean;
  /** With restart_unhealthy: the agent's restarts of this container for failing its checks. */
  unhealthy_restarts?: number;
}

/** The agent's GET /status, as far as the CLI reads it. */
export interface AgentStatus {
  host?: string;
  domain?: string;
  /** The addresses it announces services on; absent from agents before rundock kept them there. */
  addresses?: { public?: string | undefined; private?: string | undefined };
  services: AgentService[];
  /** Whether the agent reaches Docker (shared/condition.ts); absent from older agents. */
  docker?: { ok?: boolean; reason?: string };
}

/** The host's agent, found answering at its status address. */
export interface LocalAgent {
  /** `http://ADDR:PORT`, as messages name it. */
  base: string;
  status: AgentStatus;
  handover: Handover;
}

const POLL_MS = 100;

/** The agent at `listen` (its status address) with its status, or undefined when no agent answers there. */
export async function localAgent(listen: { host: string; port: number }): Promise<LocalAgent | undefined> {
  const base = `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
  const status = await getJson(`${base}/status`, 1000).then(
    (body) => toStatus(body),
    () => undefined,
  );
  return status === undefined ? undefined : { base, status, handover: new AgentHandover(base) };
}

function toStatus(body: unknown): AgentStatus | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const s = body as Partial<AgentStatus>;
  return { ...s, services: Array.isArray(s.services) ? s.services : [] };
}

class AgentHandover implements Handover {
  constructor(private readonly base: string) {}

  async addresses(service: string): Promise<Map<string, string>> {
    const services = await this.services();
    return new Map(
      services
        .filter((s) => s.service === service && s.announced && s.address)
        .map((s) => [s.container, s.address ?? '']),
    );
  }

  async announced(containerId: string, timeoutMs: number, progress?: Progress): Promise<string> {
    let last: AgentService | undefined;
    let docker: AgentStatus['docker'];
    const address = await this.poll(timeoutMs, async () => {
      const status = (await this.get('/status')) as Partial<AgentStatus>;
      docker = status.docker;
      last = (status.services ?? []).find((s) => s.container === containerId);
      if (last !== undefined)
        progress?.(`waiting for the agent to announce ${containerId.slice(0, 12)}: ${last.reason}`);
      return last?.announced === true ? last.address : undefined;
    });
    if (address !== undefined) return address;
    // The agent's own trouble is the likelier reason then (the CLI reached Docker, the agent does not).
    const unreachable = docker?.ok === false ? ` (the agent cannot reach Docker: ${docker.reason ?? 'unknown'})` : '';
    throw new RundockError(
      'RUNDOCK_E_UNHEALTHY',
      `container ${containerId.slice(0, 12)} was not announced within ${Math.round(timeoutMs / 1000)} s: ${last?.reason ?? 'the agent does not list it'}${unreachable}`,
      { details: { container: containerId, reason: last?.reason } },
    );
  }

  served(service: string, address: string, timeoutMs: number, progress?: Progress): Promise<void> {
    return this.untilGateways(service, timeoutMs, progress, (servers) => servers.includes(address), `serve ${address}`);
  }

  withdrawn(service: string, address: string, timeoutMs: number, progress?: Progress): Promise<void> {
    return this.untilGateways(service, timeoutMs, progress, (servers) => !servers.includes(address), `drop ${address}`);
  }

  /** Waits until `done` holds for the servers of `service` of every gateway that renders it. */
  private async untilGateways(
    service: string,
    timeoutMs: number,
    progress: Progress | undefined,
    done: (servers: string[]) => boolean,
    what: string,
  ): Promise<void> {
    let lagging: string[] = [];
    const finished = await this.poll(timeoutMs, async () => {
      const reports = await this.gateways();
      lagging = reports
        .filter((r) => r.services[service] !== undefined && !done(r.services[service] ?? []))
        .map((r) => r.host);
      if (lagging.length > 0) progress?.(`waiting for gateway ${lagging.join(', ')} to ${what}`);
      return lagging.length === 0 ? true : undefined;
    });
    if (finished) return;
    throw new RundockError(
      'RUNDOCK_E_GATEWAY_TIMEOUT',
      `gateway ${lagging.join(', ')} did not ${what} for ${service} within ${Math.round(timeoutMs / 1000)} s (is its nginx reloading? see its log)`,
      { details: { service, gateways: lagging } },
    );
  }

  /** Calls `check` until it gives a value or `timeoutMs` passes; an agent that stops answering fails at once. */
  private async poll<T>(timeoutMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined || Date.now() >= deadline) return value;
      await sleep(POLL_MS);
    }
  }

  private async services(): Promise<AgentService[]> {
    return ((await this.get('/status')) as { services?: AgentService[] }).services ?? [];
  }

  private async gateways(): Promise<ServingReport[]> {
    return ((await this.get('/gateways')) as { gateways?: ServingReport[] }).gateways ?? [];
  }

  private async get(path: string): Promise<unknown> {
    try {
      return await getJson(`${this.base}${path}`, 5000);
    } catch (error) {
      throw agentFailure(this.base, path, error);
    }
  }
}

/**
 * A request to the agent that failed: with the agent's own reason when it gave one (etcd out of reach: its code and
 * words), else that it stopped answering.
 */
function agentFailure(base: string, path: string, error: unknown): RundockError {
  const reported = error instanceof HttpStatusError ? error.reported : undefined;
  if (reported !== undefined) {
    const code = reported.code in ERROR_CODES ? (reported.code as ErrorCode) : 'RUNDOCK_E_AGENT';
    return new RundockError(code, `the agent at ${base} could not answer ${path}: ${reported.message}`, {
      cause: error,
      details: { agent: base },
    });
  }
  const how = error instanceof HttpStatusError ? 'failed to answer' : 'stopped answering';
  return new RundockError('RUNDOCK_E_AGENT', `the agent at ${base} ${how} (${path}): ${(error as Error).message}`, {
    cause: error,
  });
}
