import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cacheFolder, loadBundle } from './compile-cache.js';

const temporary = (): string => mkdtempSync(join(tmpdir(), 'rundock-compile-cache-'));

/** A CommonJS bundle with a function that only runs when called (the cache must hold it once it ran). */
function bundle(dir: string, body = 'exports.twice = (n) => n * 2;'): string {
  const path = join(dir, 'bundle.cjs');
  writeFileSync(path, `'use strict';\n${body}\nexports.where = __filename;\n`);
  return path;
}

const caches = (folder: string): string[] =>
  existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.v8cache')) : [];

describe('the compile cache', () => {
  it('lives in XDG_CACHE_HOME or ~/.cache, or where RUNDOCK_COMPILE_CACHE says; =off turns it off', () => {
    assert.equal(cacheFolder({ HOME: '/home/ops' }), '/home/ops/.cache/rundock');
    assert.equal(cacheFolder({ HOME: '/home/ops', XDG_CACHE_HOME: '/var/cache/ops' }), '/var/cache/ops/rundock');
    assert.equal(cacheFolder({ HOME: '/home/ops', RUNDOCK_COMPILE_CACHE: 'off' }), undefined);
    assert.equal(cacheFolder({ HOME: '/home/ops', RUNDOCK_COMPILE_CACHE: '/tmp/c' }), '/tmp/c');
  });

  it('is made for this user alone when first written, and never used in a folder others can write', () => {
    const dir = temporary();
    const path = bundle(dir);
    loadBundle({ path, buildId: 'a' }, 'enable', join(dir, 'cache')).done(0);
    assert.equal(statSync(join(dir, 'cache')).mode & 0o777, 0o700);
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    loadBundle({ path, buildId: 'a' }, 'enable', shared).done(0);
    assert.deepEqual(caches(shared), [], 'it holds code that runs');
  });

  it('loads the bundle as require would, writes one cache per command after a success, and reuses it', () => {
    const dir = temporary();
    const folder = join(dir, 'cache');
    const path = bundle(dir);
    const first = loadBundle({ path, buildId: 'a' }, 'enable', folder);
    assert.equal((first.exports as { twice(n: number): number }).twice(21), 42);
    assert.equal((first.exports as { where: string }).where, path);
    first.done(0);
    const [written] = caches(folder);
    assert.match(written ?? '', /^enable-a-v\d+\.\d+\.\d+-\w+\.v8cache$/);
    const before = statSync(join(folder, written ?? '')).mtimeMs;

    const second = loadBundle({ path, buildId: 'a' }, 'enable', folder);
    assert.equal((second.exports as { twice(n: number): number }).twice(2), 4);
    second.done(0);
    assert.deepEqual(caches(folder), [written], 'a cache V8 accepted is kept as it is');
    assert.equal(statSync(join(folder, written ?? '')).mtimeMs, before);

    loadBundle({ path, buildId: 'a' }, 'ps', folder).done(0);
    assert.equal(caches(folder).length, 2, 'another command, another cache');
  });

  it('writes nothing after a failure, and replaces a cache V8 refuses', () => {
    const dir = temporary();
    const folder = join(dir, 'cache');
    const path = bundle(dir);
    loadBundle({ path, buildId: 'a' }, 'enable', folder).done(2);
    assert.deepEqual(caches(folder), []);
    loadBundle({ path, buildId: 'a' }, 'enable', folder).done(0);
    const [written] = caches(folder);
    writeFileSync(join(folder, written ?? ''), 'not a code cache');
    // Another source of the same length (V8 would take the first one from this process's own cache).
    bundle(dir, 'exports.twice = (n) => n + n;');
    const again = loadBundle({ path, buildId: 'a' }, 'enable', folder);
    assert.equal((again.exports as { twice(n: number): number }).twice(5), 10, 'a refused cache only costs time');
    again.done(0);
    assert.notEqual(statSync(join(folder, written ?? '')).size, 'not a code cache'.length, 'written anew');
  });

  it('belongs to one build: another build of the bundle makes its own', () => {
    const dir = temporary();
    const folder = join(dir, 'cache');
    const path = bundle(dir);
    loadBundle({ path, buildId: 'a' }, 'enable', folder).done(0);
    loadBundle({ path, buildId: 'b' }, 'enable', folder).done(0);
    assert.equal(caches(folder).length, 2);
  });
});
