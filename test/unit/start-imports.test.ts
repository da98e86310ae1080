import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

const SRC = new URL('../../src/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

it("zod is imported as a namespace everywhere: `import { z }` keeps all of zod (560 KB) in every command's start", () => {
  const named = files(SRC).filter((f) => /^import\s+\{\s*z\s*\}\s+from\s+'zod'/m.test(readFileSync(f, 'utf8')));
  assert.deepEqual(named, [], "use `import * as z from 'zod'` (docs/BENCHMARKS.md, CLI start)");
});

it('the CLI entry loads no command statically: --version and --help load nothing but commander', () => {
  const imports = (file: string): string[] =>
    [...readFileSync(join(SRC, file), 'utf8').matchAll(/^import\s(?!type\b)[^;]*?from\s+'([^']+)'/gms)].map(
      (m) => m[1] ?? '',
    );
  assert.deepEqual(imports('cli/main.ts').sort(), [
    '../shared/version.js',
    './command-word.js',
    './commands.js',
    './config-cache.js',
    './output.js',
    'commander',
  ]);
  assert.deepEqual(imports('cli/commands.ts'), []);
  assert.deepEqual(imports('cli/command-word.ts'), []);
  assert.deepEqual(imports('cli/config-cache.ts'), ['../shared/config-file.js'], 'YAML and zod load only for a file');
  assert.deepEqual(imports('cli/output.ts').sort(), ['../shared/errors.js', 'commander']);
});
