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

/** The names a stand-in in build/lazy/ loads: the array it passes to etcd-part.cjs. */
function standInNames(file: string): string[] {
  const text = readFileSync(new URL(`../../build/lazy/${file}`, import.meta.url), 'utf8');
  return [...(/\[([^\]]*)\]\)/.exec(text)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '');
}

it('etcd3 and gRPC load on first use: every name the sources take from them is one the stand-ins load (build/lazy/)', () => {
  const sources = files(SRC)
    .filter((f) => !f.endsWith('.test.ts'))
    .map((f) => readFileSync(f, 'utf8'));
  const unique = (names: string[]): string[] => [...new Set(names)].sort();
  // Value imports (`import { Etcd3, type IOptions } from 'etcd3'`: Etcd3), and values read from the gRPC default
  // import (`new grpc.InterceptingCall(`, `grpc.status.OK`; not types such as `: grpc.Interceptor`).
  const etcd3 = sources.flatMap((text) =>
    [...text.matchAll(/^import\s+\{([^}]*)\}\s+from\s+'etcd3'/gm)].flatMap((m) =>
      (m[1] ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '' && !name.startsWith('type ')),
    ),
  );
  const grpc = sources.flatMap((text) =>
    [...text.matchAll(/new\s+grpc\.(\w+)|grpc\.(\w+)\s*[.(]/g)].map((m) => m[1] ?? m[2] ?? ''),
  );
  assert.ok(etcd3.length > 0 && grpc.length > 0, 'the sources no longer use etcd3 or gRPC this way: update this test');
  assert.deepEqual(unique(etcd3), unique(standInNames('etcd3.cjs')), 'build/lazy/etcd3.cjs');
  assert.deepEqual(unique(grpc), unique(standInNames('grpc.cjs')), 'build/lazy/grpc.cjs');
});
