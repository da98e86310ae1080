import { randomBytes } from 'node:crypto';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { engineContract } from '../../src/runtime/engine.contract.js';
import { IMAGE } from './harness.js';

/** The real Docker adapter against the contract the memory engine of the unit tests passes too. */
engineContract('DockerRuntime (real dockerd)', async () => {
  const engine = new DockerRuntime();
  const run = randomBytes(3).toString('hex');
  const label = `io.rundock.test.contract-${run}`;
  return {
    engine,
    image: IMAGE,
    label,
    name: (suffix) => `contract-${run}-${suffix}`,
    cleanup: async () => {
      for (const c of await engine.list(label)) await engine.remove(c.id);
      for (const c of await engine.list()) if (c.name.startsWith(`contract-${run}-`)) await engine.remove(c.id);
    },
  };
});
