/**
 * The agent's probes: one Prober per running container whose service has a probe and no Docker health check,
 * against the address the agent would announce. Their verdicts join the container's facts.
 */
import type { AnnounceSettings, InstanceFacts } from './announce.js';
import { addressOf } from './announce.js';
import { Prober } from './probe.js';

/** Called after each probe result of a container: `changed` when its verdict or (with restart_unhealthy) its count changed. */
export type ProbeListener = (id: string, ok: boolean, changed: boolean) => void;

/** Starts, keeps and stops the probers of a host's containers. */
export class Probes {
  private readonly probers = new Map<string, Prober>();
  /** Containers the agent before this one saw healthy by their probe: their first prober starts from that verdict. */
  private inherited = new Set<string>();

  constructor(
    private readonly settings: AnnounceSettings,
    private readonly facts: ReadonlyMap<string, InstanceFacts>,
    private readonly listener: ProbeListener,
  ) {}

  /**
   * Takes over the probe verdicts of the agent before this one (stopped, its records kept), by container ID: each
   * container's first prober starts from it; none after the agent's first resync (`inherit(new Set())`).
   */
  inherit(healthy: ReadonlySet<string>): void {
    this.inherited = new Set(healthy);
  }

  /** Starts, keeps or stops the container's prober after its facts changed; fills in the prober's verdict. */
  update(facts: InstanceFacts): void {
    const probe = facts.labels.probe;
    const target = addressOf(facts, this.settings);
    const existing = this.probers.get(facts.id);
    const wanted = probe !== undefined && target !== undefined && facts.running && facts.dockerHealth === undefined;
    if (existing && wanted && existing.target.ip === target.ip && existing.target.port === target.port) {
      facts.probeHealth = existing.health;
      facts.probeFailures = existing.failureStreak;
      return;
    }
    this.stop(facts.id);
    if (!wanted) return;
    const inherited = this.inherited.delete(facts.id) ? 'healthy' : undefined;
    const prober: Prober = new Prober(
      target,
      probe,
      (ok, health, changed) => {
        const current = this.facts.get(facts.id);
        const counted =
          current?.labels.restartUnhealthy !== undefined && current.probeFailures !== prober.failureStreak;
        if (current) [current.probeHealth, current.probeFailures] = [health, prober.failureStreak];
        this.listener(facts.id, ok, changed || counted);
      },
      inherited,
    );
    [facts.probeHealth, facts.probeFailures] = [prober.health, 0];
    this.probers.set(facts.id, prober);
    prober.start();
  }

  /** Stops the container's prober, if it has one. */
  stop(id: string): void {
    this.probers.get(id)?.stop();
    this.probers.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.probers.keys()]) this.stop(id);
  }
}
