import http from 'node:http';
import net from 'node:net';
import type { ProbeLabel } from '../service-spec/labels.js';

export type ProbeHealth = 'unknown' | 'healthy' | 'unhealthy';

/** One probe attempt: resolves true when the target answered as expected within the timeout. */
export function probeOnce(target: { ip: string; port: number }, probe: ProbeLabel): Promise<boolean> {
  return probe.check === 'tcp'
    ? tcpProbe(target, probe.timeout_ms)
    : httpProbe(target, probe.check.slice('http:'.length), probe.status, probe.timeout_ms);
}

function tcpProbe({ ip, port }: { ip: string; port: number }, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: ip, port, timeout: timeoutMs });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

function httpProbe(
  { ip, port }: { ip: string; port: number },
  path: string,
  status: number,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: ip, port, path, timeout: timeoutMs, headers: { 'user-agent': 'rundock-agent-probe' } },
      (response) => {
        response.resume();
        resolve(response.statusCode === status);
      },
    );
    request.once('timeout', () => request.destroy(new Error('timeout')));
    request.once('error', () => resolve(false));
  });
}

/**
 * Runs a probe on its interval and reports health changes: healthy after `healthy_threshold` successes in a row,
 * unhealthy after `unhealthy_threshold` failures in a row; unknown until the first verdict.
 */
export class Prober {
  private timer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;
  private current: ProbeHealth;
  /** The verdict was inherited (from the agent before this one): the first result decides it either way. */
  private provisional: boolean;

  /** `inherited`: the verdict of the agent before this one, kept until this prober's first result. */
  constructor(
    readonly target: { ip: string; port: number },
    readonly probe: ProbeLabel,
    private readonly onResult: (ok: boolean, health: ProbeHealth, changed: boolean) => void,
    inherited?: 'healthy',
  ) {
    this.current = inherited ?? 'unknown';
    this.provisional = inherited !== undefined;
  }

  get health(): ProbeHealth {
    return this.current;
  }

  /** Probes failed in a row, since the last success (restart_unhealthy counts them). */
  get failureStreak(): number {
    return this.failures;
  }

  start(): void {
    if (this.timer === undefined) this.schedule(0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    const ok = await probeOnce(this.target, this.probe);
    if (this.timer === undefined) return;
    this.successes = ok ? this.successes + 1 : 0;
    this.failures = ok ? 0 : this.failures + 1;
    const before = this.current;
    if (this.successes >= this.probe.healthy_threshold) this.current = 'healthy';
    if (this.failures >= this.probe.unhealthy_threshold || (this.provisional && !ok)) this.current = 'unhealthy';
    this.provisional = false;
    this.onResult(ok, this.current, before !== this.current);
    this.schedule(this.probe.interval_ms);
  }
}
