import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { it } from 'node:test';

/**
 * Every src/ folder's README names its files (CONTRIBUTING.md: "every folder's README names its files"): each source
 * file that is not a test is named in the README of its folder (or, in a folder without one, of the nearest folder
 * above, by its path from there), and every file a README names exists.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const SRC = join(ROOT, 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const all = walk(SRC);
const readmes = all.filter((f) => basename(f) === 'README.md');
const sources = all.filter((f) => /\.(ts|c)$/.test(f) && !f.endsWith('.test.ts'));

/** The file names a README mentions (`x.ts`, `args/parser.ts`, `flags-*.ts`, `native/udp_batch.c`). */
function namesIn(readme: string): string[] {
  return [...readFileSync(readme, 'utf8').matchAll(/[\w.*/-]*[\w*]\.(?:ts|c)\b/g)].map((m) => m[0]);
}

function globToRegExp(name: string): RegExp {
  return new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
}

/** Does `name` (a path, perhaps with `*` in its last part) name a file from `base`? */
function existsUnder(base: string, name: string): boolean {
  if (!name.includes('*')) return existsSync(join(base, name));
  const folder = join(base, dirname(name));
  return existsSync(folder) && readdirSync(folder).some((entry) => globToRegExp(basename(name)).test(entry));
}

/** The README covering a file: the one in its folder, else the nearest one above, up to src/. */
function readmeOf(file: string): string | undefined {
  for (let dir = dirname(file); dir.startsWith(SRC); dir = dirname(dir)) {
    const readme = join(dir, 'README.md');
    if (existsSync(readme)) return readme;
  }
  return undefined;
}

/** Does `name` (as written in the README in `dir`) name `file`: by its path from `dir`, or by its bare name. */
function names(name: string, dir: string, file: string): boolean {
  const pattern = globToRegExp(name);
  return pattern.test(relative(dir, file)) || (!name.includes('/') && pattern.test(basename(file)));
}

it('every source file that is not a test is named in its folder README', () => {
  const unnamed = sources.filter((file) => {
    const readme = readmeOf(file);
    if (readme === undefined) return true;
    return !namesIn(readme).some((name) => names(name, dirname(readme), file));
  });
  assert.deepEqual(
    unnamed.map((f) => relative(ROOT, f)),
    [],
  );
});

it('every file a folder README names exists (beside it, below it, or as a path from src/ or the repository)', () => {
  const missing = readmes.flatMap((readme) => {
    const dir = dirname(readme);
    const below = all.filter((f) => f.startsWith(`${dir}/`));
    return namesIn(readme)
      .filter((name) => {
        if ([dir, SRC, ROOT].some((base) => existsUnder(base, name))) return false;
        return !below.some((file) => names(name, dir, file) || globToRegExp(name).test(basename(file)));
      })
      .map((name) => `${relative(ROOT, readme)}: ${name}`);
  });
  assert.deepEqual(missing, []);
});

it('a file named by its bare name or its path from the README, a glob by its last part', () => {
  assert.equal(names('flags-*.ts', join(SRC, 'service-spec/args'), join(SRC, 'service-spec/args/flags-run.ts')), true);
  assert.equal(names('answer/handler.ts', join(SRC, 'dns'), join(SRC, 'dns/serve/handler.ts')), false);
});
