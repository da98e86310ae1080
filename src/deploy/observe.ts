import type { ObservedContainer } from '../runtime/engine.js';
import { LABEL } from '../service-spec/labels.js';
import { nextName, oldName, type Observed } from '../plan/plan.js';

/** Splits a listing of every container into what `planService` needs for service `name`. */
export function observedFrom(all: readonly ObservedContainer[], name: string, imageId: string | undefined): Observed {
  const temporary = new Set([nextName(name), oldName(name)]);
  const main = all.find((c) => c.name === name);
  const leftovers = all.filter((c) => temporary.has(c.name) && c.labels[LABEL.service] === name);
  const own = new Set([main, ...leftovers]);
  const sharedVolumes = new Set<string>();
  for (const c of all) {
    if (own.has(c)) continue;
    for (const m of c.mounts) if (m.name !== undefined) sharedVolumes.add(m.name);
  }
  return { main, leftovers, imageId, sharedVolumes };
}
