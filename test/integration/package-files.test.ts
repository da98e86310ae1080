// What `npm pack` ships (the release tarball, docs/release.md): only the bundle and what it reads at run time. Needs a
// build (npm run build), as every integration test; test/unit/package-manifest.test.ts checks the manifest.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;

/** Every path the tarball may hold. Anything else (a test, a bench, a source map, build scripts) fails the test. */
const ALLOWED: RegExp[] = [
  /^package\.json$/,
  /^README\.md$/,
  /^bin\/rundock\.js$/,
  /^bin\/package\.json$/, // makes bin/rundock.js CommonJS, which starts faster
  /^dist\/rundock\.cjs$/, // the CLI with every dependency
  /^dist\/udp_batch-linux-x64-glibc\.node$/, // the prebuilt UDP addon (a release requires it: build/native.mjs)
];
/** What the tarball cannot work without. */
const REQUIRED = ['package.json', 'bin/rundock.js', 'bin/package.json', 'dist/rundock.cjs'];

/** The files `npm pack --dry-run --json` lists, without running prepack (no rebuild). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
  return pack.files.map((f) => f.path).sort();
}

describe('the release tarball', () => {
  it('holds only allowed paths, and every required one', () => {
    assert.ok(existsSync(`${root}dist/rundock.cjs`), 'dist/ is not built: run npm run build first');
    const files = packedFiles();
    assert.deepEqual(
      files.filter((path) => !ALLOWED.some((pattern) => pattern.test(path))),
      [],
      'files in the tarball that no pattern allows',
    );
    assert.deepEqual(
      REQUIRED.filter((path) => !files.includes(path)),
      [],
    );
  });
});
