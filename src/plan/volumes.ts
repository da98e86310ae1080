import type { ObservedContainer } from '../runtime/engine.js';
import type { CreateBody } from '../service-spec/run-options.js';

const ANONYMOUS_VOLUME = /^[0-9a-f]{64}$/;

/**
 * Keeps a replaced container's anonymous volumes (image VOLUMEs, `-v /path`) by mounting them into its successor at
 * the same paths, as docker-compose does; otherwise a redeploy would start on empty volumes. Paths the new body mounts
 * explicitly win, and volumes shared with other containers (data containers used through --volumes-from) are left to
 * --volumes-from, so changing that option is never overridden by a stale bind.
 */
export function carryAnonymousVolumes(
  body: CreateBody,
  previous: readonly ObservedContainer[],
  shared: ReadonlySet<string>,
): CreateBody {
  const taken = explicitDestinations(body);
  const carried: string[] = [];
  for (const container of previous) {
    for (const mount of container.mounts) {
      const volume = mount.name;
      if (mount.type !== 'volume' || volume === undefined || !ANONYMOUS_VOLUME.test(volume)) continue;
      if (shared.has(volume) || taken.has(mount.destination)) continue;
      taken.add(mount.destination);
      carried.push(`${volume}:${mount.destination}`);
    }
  }
  if (carried.length === 0) return body;
  return { ...body, HostConfig: { ...body.HostConfig, Binds: [...(body.HostConfig.Binds ?? []), ...carried] } };
}

function explicitDestinations(body: CreateBody): Set<string> {
  const host = body.HostConfig;
  const destinations = new Set<string>();
  for (const bind of host.Binds ?? []) {
    const destination = bind.split(':')[1];
    if (destination !== undefined) destinations.add(destination);
  }
  for (const mount of host.Mounts ?? []) destinations.add(mount.Target);
  for (const path of Object.keys(host.Tmpfs ?? {})) destinations.add(path);
  return destinations;
}
