import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EmbeddedRegistry, STATE_FILE } from './embedded.js';
import { isRetryable } from './errors.js';
import { registryContract } from './registry.contract.js';

const dirs: string[] = [];
async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rundock-embedded-'));
  dirs.push(dir);
  return dir;
}
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** The records in the state file, read without the registry. */
async function fileRecords(dir: string): Promise<Map<string, string>> {
  try {
    const data = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as { records: Record<string, string> };
    return new Map(Object.entries(data.records));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
}

registryContract('EmbeddedRegistry', async () => {
  const dir = await stateDir();
  const registry = new EmbeddedRegistry({ stateDir: dir });
  let changes = 0;
  registry.onChange(() => changes++);
  return {
    registry,
    reader: async (prefix) => new Map([...(await fileRecords(dir))].filter(([key]) => key.startsWith(prefix))),
    // A write shows as a notification and as a new file modification time.
    revision: async () => [
      changes,
      await stat(join(dir, STATE_FILE), { bigint: true }).then(
        (s) => s.mtimeNs,
        () => undefined,
      ),
    ],
    cleanup: () => registry.close(),
  };
});

describe('EmbeddedRegistry', () => {
  const records = new Map([['/skydns/test/a/h', '{"host":"10.0.0.5","port":80}']]);

  it('loads what an earlier instance persisted', async () => {
    const dir = await stateDir();
    const first = new EmbeddedRegistry({ stateDir: dir });
    await first.sync(records);
    await first.close();
    const second = new EmbeddedRegistry({ stateDir: dir });
    assert.deepEqual(await second.list(''), records);
    assert.equal(second.status().written, 1);
  });

  it('starts empty without a state file, creating the state directory', async () => {
    const dir = join(await stateDir(), 'nested', 'state');
    const registry = new EmbeddedRegistry({ stateDir: dir });
    assert.deepEqual(await registry.list(''), new Map());
    assert.deepEqual(registry.status(), { state: 'connected', written: 0, lastError: undefined });
  });

  it('moves a corrupt state file aside and starts empty, saying so in status', async () => {
    const dir = await stateDir();
    await writeFile(join(dir, STATE_FILE), '{"version":1,"records":{"k": 5}}');
    const registry = new EmbeddedRegistry({ stateDir: dir });
    assert.deepEqual(await registry.list(''), new Map());
    assert.match(registry.status().lastError ?? '', /not a valid registry file; moved to .*corrupt-/);
    const files = await readdir(dir);
    assert.equal(files.filter((f) => f.startsWith(`${STATE_FILE}.corrupt-`)).length, 1);
    await registry.sync(records);
    assert.equal(registry.status().lastError, undefined);
  });

  it('writes through a temporary file and leaves none behind', async () => {
    const dir = await stateDir();
    const registry = new EmbeddedRegistry({ stateDir: dir });
    await registry.sync(records);
    await registry.sync(new Map());
    assert.deepEqual(await readdir(dir), [STATE_FILE]);
    assert.equal(await readFile(join(dir, STATE_FILE), 'utf8'), '{\n  "version": 1,\n  "records": {}\n}\n');
  });

  it('notifies subscribers of each change with the full set, and not of unchanged syncs', async () => {
    const registry = new EmbeddedRegistry({ stateDir: await stateDir() });
    const seen: Map<string, string>[] = [];
    const unsubscribe = registry.onChange((r) => seen.push(new Map(r)));
    registry.onChange(() => {
      throw new Error('a broken subscriber');
    });
    await registry.sync(records);
    await registry.sync(records);
    await registry.withdrawAll();
    unsubscribe();
    await registry.sync(records);
    assert.deepEqual(seen, [records, new Map()]);
  });

  it('rejects with a retryable error when the file cannot be written, and writes it on the next sync', async () => {
    const dir = await stateDir();
    const registry = new EmbeddedRegistry({ stateDir: dir });
    await mkdir(join(dir, STATE_FILE)); // a directory in the way: the rename fails, even for root
    await assert.rejects(registry.sync(records), (error: unknown) => {
      assert.ok(isRetryable(error));
      assert.equal((error as { code?: string }).code, 'RUNDOCK_E_REGISTRY_UNAVAILABLE');
      return true;
    });
    assert.deepEqual(await registry.list(''), records, 'memory (and DNS) follow the new set even when the disk fails');
    await rm(join(dir, STATE_FILE), { recursive: true });
    await registry.sync(records);
    assert.deepEqual(await fileRecords(dir), records);
    assert.deepEqual(await readdir(dir), [STATE_FILE]);
  });
});
