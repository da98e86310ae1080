import type { ContainerEngine } from '../runtime/engine.js';
import type { PullEvent } from '../runtime/pull.js';
import { RundockError } from '../shared/errors.js';

export type PullPolicy = 'always' | 'missing' | 'never';

/**
 * Makes the image available per the pull policy and returns its local ID (undefined only in a dry run that would
 * pull). `pulled` tells whether a pull ran.
 */
export async function ensureImage(
  docker: ContainerEngine,
  ref: string,
  policy: PullPolicy,
  opts: { dryRun?: boolean | undefined; onPull?: ((event: PullEvent) => void) | undefined },
): Promise<{ imageId: string | undefined; pulled: boolean }> {
  const present = await docker.imageId(ref);
  if (policy === 'never' && present === undefined) {
    throw new RundockError('RUNDOCK_E_IMAGE_MISSING', `image ${ref} is not present on this host and pull is never`, {
      details: { image: ref },
    });
  }
  if (policy === 'never' || (policy === 'missing' && present !== undefined) || opts.dryRun) {
    return { imageId: present, pulled: false };
  }
  await docker.pull(ref, opts.onPull);
  const imageId = await docker.imageId(ref);
  if (imageId === undefined)
    throw new RundockError('RUNDOCK_E_PULL_FAILED', `pulling ${ref} reported success but the image is not present`);
  return { imageId, pulled: true };
}
