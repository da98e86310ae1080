/**
 * The host's agent and the gateways behind it, as the deploy sees them through its hand-over seam (the `Handover` of
 * src/deploy/handover.ts), answered from the memory engine as the real agent decides (src/agent/agent.ts): a
 * service's container, or its successor (`<service>_rundock_next`), is announced while it runs, healthy when Docker
 * checks it, at the host port Docker bound; a container renamed away (`_rundock_old`) is withdrawn. The gateways
 * serve what is announced, unless a test holds them. Every wait is journaled as it begins.
 */
import type { Handover, Progress } from '../../src/deploy/handover.js';
import { announces, nextName } from '../../src/plan/plan.js';
import type { ContainerState, ContainerEngine } from '../../src/runtime/engine.js';
import { RundockError } from '../../src/shared/errors.js';
import { LABEL } from '../../src/service-spec/labels.js';
import { waitFor } from './wait.js';

const POLL_MS = 5;

/** The waits a test can make fail (`failNext`). */
export type Wait = 'announced' | 'served' | 'withdrawn';

export class AgentDouble implements Handover {
  /** Image IDs whose containers fail the agent's probe: never announced. */
  private readonly failingProbe = new Set<string>();
  /** What the gateways serve while held (`holdGateways`); undefined: what the agent announces. */
  private held: Set<string> | undefined;
  /** Waits made to fail once, as if their time ran out (`failNext`). */
  private readonly failing = new Set<Wait>();

  constructor(
    private readonly engine: ContainerEngine,
    private readonly journal: string[],
  ) {}

  /** Containers of image `ref` fail the agent's probe from now on (Docker may still call them healthy). */
  async failProbe(ref: string): Promise<void> {
    this.failingProbe.add((await this.engine.imageId(ref)) ?? ref);
  }

  /** The gateways stop following the registry: they keep serving what they serve now (an nginx that cannot reload). */
  async holdGateways(): Promise<void> {
    this.held = new Set((await this.records()).map((a) => a.address));
  }

  /** The next `wait` fails at once, as it fails when its time runs out. */
  failNext(wait: Wait): void {
    this.failing.add(wait);
  }

  async addresses(service: string): Promise<Map<string, string>> {
    const all = await this.records();
    return new Map(all.filter((a) => a.service === service).map((a) => [a.id, a.address]));
  }

  async announced(containerId: string, timeoutMs: number, _progress?: Progress): Promise<string> {
    const state = await this.engine.inspectIfExists(containerId);
    this.journal.push(`announced ${state?.name ?? containerId}`);
    let address: string | undefined;
    const found = async (): Promise<boolean> =>
      (address = (await this.records()).find((a) => a.id === containerId)?.address) !== undefined;
    if (!this.failing.delete('announced') && (await this.within(timeoutMs, found)) && address !== undefined)
      return address;
    const reason = state !== undefined && this.failingProbe.has(state.imageId) ? 'probe: unhealthy' : 'not ready';
    throw new RundockError(
      'RUNDOCK_E_UNHEALTHY',
      `container ${containerId.slice(0, 12)} was not announced within ${timeoutMs} ms: ${reason}`,
      { details: { container: containerId, reason } },
    );
  }

  served(service: string, address: string, timeoutMs: number): Promise<void> {
    this.journal.push(`served ${address}`);
    return this.untilGateways('served', service, timeoutMs, `serve ${address}`, (served) => served.has(address));
  }

  withdrawn(service: string, address: string, timeoutMs: number): Promise<void> {
    this.journal.push(`withdrawn ${address}`);
    return this.untilGateways('withdrawn', service, timeoutMs, `drop ${address}`, (served) => !served.has(address));
  }

  private async untilGateways(
    wait: Wait,
    service: string,
    timeoutMs: number,
    what: string,
    done: (served: Set<string>) => boolean,
  ): Promise<void> {
    if (!this.failing.delete(wait) && (await this.within(timeoutMs, async () => done(await this.serving())))) return;
    throw new RundockError('RUNDOCK_E_GATEWAY_TIMEOUT', `gateway node-1 did not ${what} for ${service}`, {
      details: { service, gateways: ['node-1'] },
    });
  }

  private async serving(): Promise<Set<string>> {
    return this.held ?? new Set((await this.records()).map((a) => a.address));
  }

  /** What the agent announces now: every container it would keep a record for. */
  private async records(): Promise<{ id: string; service: string; address: string }[]> {
    const states = await Promise.all((await this.engine.list(LABEL.service)).map((c) => this.engine.inspect(c.id)));
    return states.flatMap((s) => {
      const service = s.labels[LABEL.service] ?? '';
      const address = this.addressOf(s);
      const named = s.name === service || s.name === nextName(service);
      return named && address !== undefined ? [{ id: s.id, service, address }] : [];
    });
  }

  /** `ip:port` where the container is announced, or undefined while it is not (stopped, unhealthy, failing probe). */
  private addressOf(s: ContainerState): string | undefined {
    if (!s.running || (s.health !== undefined && s.health !== 'healthy') || this.failingProbe.has(s.imageId)) return;
    if (!announces(s.labels)) return;
    const port = s.labels[LABEL.port] ?? s.labels[LABEL.announce];
    const bound = s.published.find((p) => p.containerPort === `${port}/tcp`);
    return bound && `${bound.hostIp}:${bound.hostPort}`;
  }

  /** Whether `check` holds within `timeoutMs`. */
  private within(timeoutMs: number, check: () => Promise<boolean>): Promise<boolean> {
    return waitFor(check, timeoutMs, POLL_MS).then(
      () => true,
      () => false,
    );
  }
}
