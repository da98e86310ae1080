import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigApplier } from './apply.js';
import { ConfigFile } from './config-file.js';
import type { NginxTestResult } from './nginx.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rundock-gw-unit-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
function fresh(): ConfigFile {
  return new ConfigFile(join(dir, `up-${++seq}.conf`));
}

describe('ConfigFile.install', () => {
  it('checks the new text in place and keeps it when the check passes; no side file is left', async () => {
    const file = fresh();
    await writeFile(file.path, 'old');
    let seen = '';
    const result = await file.install('new', async () => {
      seen = await readFile(file.path, 'utf8');
      return { ok: true };
    });
    assert.deepEqual(result, { ok: true });
    assert.equal(seen, 'new');
    assert.equal(await file.read(), 'new');
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.includes(`up-${seq}.conf.`)),
      [],
    );
  });

  it('puts the previous file back when the check fails or throws', async () => {
    const file = fresh();
    await writeFile(file.path, 'good');
    assert.deepEqual(await file.install('bad', async () => ({ ok: false, output: 'nginx: [emerg] ...' })), {
      ok: false,
      output: 'nginx: [emerg] ...',
    });
    assert.equal(await file.read(), 'good');
    await assert.rejects(
      file.install('bad', async () => Promise.reject(new Error('no nginx'))),
      /no nginx/,
    );
    assert.equal(await file.read(), 'good');
  });

  it('leaves no file when there was none before and the check fails', async () => {
    const file = fresh();
    await file.install('bad', async () => ({ ok: false, output: 'x' }));
    assert.equal(await file.read(), undefined);
  });

  it('recover() undoes an install interrupted before its check finished', async () => {
    const file = fresh();
    await writeFile(file.path, 'unchecked');
    await writeFile(file.previous, 'good');
    await writeFile(file.staging, 'partial');
    assert.equal(await file.recover(), true);
    assert.equal(await file.read(), 'good');
    assert.equal(await fresh().recover(), false);
  });
});

describe('ConfigApplier', () => {
  function fakeNginx(
    tests: NginxTestResult[],
    reloads: (Error | undefined)[],
  ): {
    nginx: { test: () => Promise<NginxTestResult>; reload: () => Promise<{ confirmed: boolean }> };
    calls: string[];
  } {
    const calls: string[] = [];
    return {
      calls,
      nginx: {
        test: async () => (calls.push('test'), tests.shift() ?? { ok: true }),
        reload: async () => {
          calls.push('reload');
          const error = reloads.shift();
          if (error) throw error;
          return { confirmed: true };
        },
      },
    };
  }

  it('tests and reloads new text, does nothing for the same text', async () => {
    const file = fresh();
    const { nginx, calls } = fakeNginx([], []);
    const applier = new ConfigApplier(file, nginx);
    assert.equal((await applier.apply('a')).outcome, 'reloaded');
    assert.equal((await applier.apply('a')).outcome, 'unchanged');
    assert.deepEqual(calls, ['test', 'reload']);
  });

  it('keeps the last good text after an invalid one, and applies the next valid one', async () => {
    const file = fresh();
    const { nginx, calls } = fakeNginx([{ ok: true }, { ok: false, output: 'bad' }, { ok: true }], []);
    const applier = new ConfigApplier(file, nginx);
    await applier.apply('good');
    const invalid = await applier.apply('bad');
    assert.equal(invalid.outcome, 'invalid');
    assert.equal(invalid.outcome === 'invalid' && invalid.output, 'bad');
    assert.equal(await file.read(), 'good');
    assert.equal((await applier.apply('better')).outcome, 'reloaded');
    assert.equal(await file.read(), 'better');
    assert.deepEqual(calls, ['test', 'reload', 'test', 'test', 'reload']);
  });

  it('retries a failed reload on the next apply, without testing the same text again', async () => {
    const file = fresh();
    const { nginx, calls } = fakeNginx([], [new Error('no master')]);
    const applier = new ConfigApplier(file, nginx);
    assert.equal((await applier.apply('a')).outcome, 'reload_failed');
    assert.equal(applier.reloadPending, true);
    assert.equal((await applier.apply('a')).outcome, 'reloaded');
    assert.equal(applier.reloadPending, false);
    assert.deepEqual(calls, ['test', 'reload', 'reload']);
  });
});
