import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rundock-atomic-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const writers = {
  writeFileAtomic,
  writeFileAtomicSync: async (...args: Parameters<typeof writeFileAtomicSync>) => writeFileAtomicSync(...args),
};

for (const [name, write] of Object.entries(writers)) {
  describe(name, () => {
    it('creates the file with its mode, then replaces it, leaving nothing else in the folder', async () => {
      const file = join(dir, 'state.json');
      await write(file, 'one\n', 0o600);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      await write(file, Buffer.from('two\n'));
      assert.equal(readFileSync(file, 'utf8'), 'two\n');
      assert.deepEqual(readdirSync(dir), ['state.json']);
    });

    it('a failed write throws, removes its temporary file and leaves the target as it was', async () => {
      const target = join(dir, 'taken');
      mkdirSync(target); // a rename over a folder fails (EISDIR)
      writeFileSync(join(target, 'inside'), 'kept');
      await assert.rejects(write(target, 'new'), { code: 'EISDIR' });
      assert.deepEqual(readdirSync(dir), ['taken']);
      assert.equal(readFileSync(join(target, 'inside'), 'utf8'), 'kept');
    });
  });
}
