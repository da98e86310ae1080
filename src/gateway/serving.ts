/**
 * What the gateway reports nginx serves after each render (registry/serving-report.ts): each service's servers, as
 * `address:port`, published only when they changed. The gateway's view keeps the very instances array of a service
 * none of whose records changed (source.ts), so each service's list is made once per array, and two reports are told
 * apart service by service, comparing only the lists whose array changed. At 20,000 servers, making every list and
 * comparing the whole report's JSON at every reload cost about 80 ms of CPU (docs/SCALE.md).
 */
import type { UpstreamPlan } from './upstream-plan.js';
import { hostPort, type UpstreamInstance } from './snapshot.js';

/** The servers of each rendered service, by the report's rules. */
export class ServingLists {
  private readonly lists = new WeakMap<readonly UpstreamInstance[], string[]>();
  private last = new Map<string, readonly UpstreamInstance[]>();

  /** Each planned service's servers, or undefined when they are those of the last call's plans. */
  changed(plans: readonly UpstreamPlan[]): Record<string, string[]> | undefined {
    const current = new Map(plans.map((p) => [p.service, p.instances]));
    const same = current.size === this.last.size && plans.every((p) => this.sameServers(p));
    this.last = current;
    return same ? undefined : this.serversOf(plans);
  }

  /** Each planned service's servers. */
  serversOf(plans: readonly UpstreamPlan[]): Record<string, string[]> {
    return Object.fromEntries(plans.map((p) => [p.service, this.listOf(p.instances)]));
  }

  private sameServers(plan: UpstreamPlan): boolean {
    const before = this.last.get(plan.service);
    if (before === undefined) return false;
    if (before === plan.instances) return true;
    const [a, b] = [this.listOf(before), this.listOf(plan.instances)];
    return a.length === b.length && a.every((server, i) => server === b[i]);
  }

  private listOf(instances: readonly UpstreamInstance[]): string[] {
    let list = this.lists.get(instances);
    if (list === undefined) this.lists.set(instances, (list = instances.map(hostPort)));
    return list;
  }
}
