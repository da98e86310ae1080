/**
 * Events from two successive page models: what an operator would have watched happen. Pure: the time is given.
 * Derived from the host records alone (their `announced` goes with the DNS record, written in one transaction).
 */
import type { EventKind, PageModel, ServiceRow, UiEvent } from './model.js';
import { compare } from './records.js';

/**
 * The events between `previous` and `next`, seen at `at` (RFC 3339), ordered by host, then service. Without a
 * previous model (the first complete load) there is nothing to compare, so no event.
 */
export function diffEvents(previous: PageModel | undefined, next: PageModel, at: string): UiEvent[] {
  if (previous === undefined) return [];
  const before = instances(previous);
  const after = instances(next);
  const liveHosts = new Set(next.hosts.map((h) => h.host));
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort(compare);
  const events: UiEvent[] = [];
  for (const key of keys) {
    const [host = '', service = ''] = key.split('\u0000');
    const emit = (kind: EventKind, detail: string): number => events.push({ at, kind, host, service, detail });
    const was = before.get(key);
    const is = after.get(key);
    if (is === undefined) {
      if (was?.announced === true)
        emit('withdrawn', liveHosts.has(host) ? 'service removed' : 'host gone (agent stopped or its lease expired)');
    } else if (was === undefined) {
      if (is.announced) emit('announced', `at ${is.address ?? '?'}`);
    } else {
      changes(was, is).forEach(([kind, detail]) => emit(kind, detail));
    }
  }
  return events;
}

/** What changed for one instance present in both models, in the order it happens: container, health, announcement. */
function changes(was: ServiceRow, is: ServiceRow): [EventKind, string][] {
  const out: [EventKind, string][] = [];
  if (was.container !== is.container)
    out.push([
      'redeployed',
      was.image === is.image ? `container ${is.container}` : `${was.image} -> ${is.image} (container ${is.container})`,
    ]);
  else if (is.restarts > was.restarts) out.push(['restarted', `${is.restarts} restarts`]);
  // Docker marks a stopped container unhealthy too; its withdrawal says "not running", which is the news.
  if (is.health === 'unhealthy' && was.health !== 'unhealthy' && is.state === 'running')
    out.push(['unhealthy', is.reason]);
  if (is.announced && !was.announced) out.push(['announced', `at ${is.address ?? '?'}`]);
  else if (!is.announced && was.announced) out.push(['withdrawn', is.reason]);
  else if (is.announced && was.address !== is.address)
    out.push(['announced', `at ${is.address ?? '?'} (was ${was.address ?? '?'})`]);
  return out;
}

/** host NUL service -> its row; NUL sorts before any label character, so keys sort by host, then service. */
function instances(model: PageModel): Map<string, ServiceRow> {
  const map = new Map<string, ServiceRow>();
  for (const h of model.hosts) for (const s of h.services) map.set(`${h.host}\u0000${s.service}`, s);
  return map;
}
