import { randomBytes } from 'node:crypto';
import { engineContract } from './engine.contract.js';
import { MemoryEngine } from './memory-engine.js';

engineContract('MemoryEngine', async () => {
  const engine = new MemoryEngine();
  const image = 'rundock-test/busybox:latest';
  engine.addImage(image, `sha256:${'b'.repeat(64)}`);
  const run = randomBytes(3).toString('hex');
  return {
    engine,
    image,
    label: `io.rundock.test.${run}`,
    name: (suffix) => `mem-${run}-${suffix}`,
    cleanup: async () => undefined,
  };
});
