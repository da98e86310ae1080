/**
 * Events from two successive page models: what an operator would have watched happen. Pure: the time is given.
 * Derived from the host records alone (their `announced` goes with the DNS record, written in one transaction).
 * An instance is followed by its container, so a redeploy's new container that takes over the service's name is
 * one instance throughout (announced once, as the successor), and the service is "redeployed" when its container
 * changes.
 */
import type { EventKind, PageModel, ServiceRow, UiEvent } from './model.js';
import { compare } from './records.js';

interface Instance {
  host: string;
  row: ServiceRow;
}

/**
 * The events between `previous` and `next`, seen at `at` (RFC 3339), ordered by host, then service. Without a
 * previous model (the first complete load) there is nothing to compare, so no event.
 */
export function diffEvents(previous: PageModel | undefined, next: PageModel, at: string): UiEvent[] {
  if (previous === undefined) return [];
  const before = byContainer(previous);
  const after = byContainer(next);
  const liveHosts = new Set(next.hosts.map((h) => h.host));
  const liveServices = new Set(next.hosts.flatMap((h) => h.services.map((s) => `${h.host}\u0000${s.service}`)));
  const gone = ({ host, row }: Instance): string =>
    liveServices.has(`${host}\u0000${row.service}`)
      ? 'container replaced'
      : liveHosts.has(host)
        ? 'service removed'
        : 'host gone (agent stopped or its lease expired)';
  const events: UiEvent[] = [];
  const emit = ({ host, row }: Instance, kind: EventKind, detail: string): void =>
    void events.push({ at, kind, host, service: row.service, detail });
  for (const [key, was] of before) {
    const is = after.get(key);
    if (is !== undefined) changes(was.row, is.row).forEach(([kind, detail]) => emit(is, kind, detail));
    else if (was.row.announced) emit(was, 'withdrawn', gone(was));
  }
  for (const [key, is] of after) {
    if (!before.has(key) && is.row.announced)
      emit(
        is,
        'announced',
        `at ${is.row.address ?? '?'}${is.row.successor ? ' (the new container of a redeploy)' : ''}`,
      );
  }
  for (const [host, was, is] of replaced(previous, next)) {
    const images = was.image === is.image ? '' : `${was.image} -> ${is.image} `;
    emit({ host, row: is }, 'redeployed', `${images}(container ${was.container} -> ${is.container})`);
  }
  return events.sort((a, b) => compare(a.host, b.host) || compare(a.service, b.service));
}

/** What changed for one container present in both models: restarts, health, announcement. */
function changes(was: ServiceRow, is: ServiceRow): [EventKind, string][] {
  const out: [EventKind, string][] = [];
  if (is.restarts > was.restarts) out.push(['restarted', `${is.restarts} restarts`]);
  // Docker marks a stopped container unhealthy too; its withdrawal says "not running", which is the news.
  if (is.health === 'unhealthy' && was.health !== 'unhealthy' && is.state === 'running')
    out.push(['unhealthy', is.reason]);
  if (is.announced && !was.announced) out.push(['announced', `at ${is.address ?? '?'}`]);
  else if (!is.announced && was.announced) out.push(['withdrawn', is.reason]);
  else if (is.announced && was.address !== is.address)
    out.push(['announced', `at ${is.address ?? '?'} (was ${was.address ?? '?'})`]);
  return out;
}

/** host NUL container -> the instance. */
function byContainer(model: PageModel): Map<string, Instance> {
  const map = new Map<string, Instance>();
  for (const h of model.hosts)
    for (const row of h.services) map.set(`${h.host}\u0000${row.container}`, { host: h.host, row });
  return map;
}

/** Services whose current (not successor) container is another one than before: [host, was, is]. */
function replaced(previous: PageModel, next: PageModel): [string, ServiceRow, ServiceRow][] {
  const current = (model: PageModel): Map<string, [string, ServiceRow]> =>
    new Map(
      model.hosts.flatMap((h) =>
        h.services
          .filter((s) => !s.successor)
          .map((s): [string, [string, ServiceRow]] => [`${h.host}\u0000${s.service}`, [h.host, s]]),
      ),
    );
  const before = current(previous);
  return [...current(next)].flatMap(([key, [host, is]]) => {
    const was = before.get(key)?.[1];
    return was !== undefined && was.container !== is.container ? [[host, was, is]] : [];
  });
}
