import { setTimeout as sleep } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import { nextName, oldName } from '../plan/plan.js';
import type { ObservedContainer, ContainerEngine } from '../runtime/engine.js';
import type { LogOptions } from '../runtime/logs.js';
import { LABEL } from '../service-spec/labels.js';

/** How long the service must show no running container, and no redeploy in progress, before following ends. */
const STOPPED_FOR_MS = 2000;
const POLL_MS = 250;

/**
 * `logs -f` of a service rather than of one container: when the container's log ends (it stopped), follows what
 * serves the service next. A redeploy's new container (overlap or withdraw-first) is followed from its first line;
 * the same container started again (restart policy, `rundock restart`) from where its log ended. Ends once the
 * service has no running container and no redeploy is in progress (`disable`, `absent`), saying so through `note`.
 */
export async function followService(
  docker: ContainerEngine,
  name: string,
  first: ObservedContainer,
  opts: LogOptions,
  io: { out: Writable; err: Writable; note: (text: string) => void },
): Promise<void> {
  let current = first.id;
  let streamOpts: LogOptions = { ...opts, follow: true };
  for (;;) {
    await docker.streamLogs(current, streamOpts, io.out, io.err);
    const ended = Date.now() / 1000;
    if (opts.until !== undefined && Number(opts.until) <= ended) return;
    const next = await successor(docker, name);
    if (next === undefined) return io.note(`${name} has stopped: no container of the service runs`);
    if (next.id === current) streamOpts = { ...opts, follow: true, tail: undefined, since: ended.toFixed(9) };
    else {
      io.note(`${name} is now served by container ${next.id.slice(0, 12)} (redeployed); following it`);
      streamOpts = { ...opts, follow: true, tail: undefined };
    }
    current = next.id;
  }
}

/** The service's running container (a redeploy's new one while it is still `_rundock_next`), once there is one. */
async function successor(docker: ContainerEngine, name: string): Promise<ObservedContainer | undefined> {
  let quietSince: number | undefined;
  for (;;) {
    const all = await docker.list(`${LABEL.service}=${name}`);
    const main = all.find((c) => c.name === name);
    const next = all.find((c) => c.name === nextName(name));
    if (main?.status === 'running') return main;
    if (next?.status === 'running') return next;
    const swapping = next !== undefined || all.some((c) => c.name === oldName(name));
    if (swapping || main?.status === 'restarting') quietSince = undefined;
    else if (Date.now() - (quietSince ??= Date.now()) >= STOPPED_FOR_MS) return undefined;
    await sleep(POLL_MS);
  }
}
