import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';

/**
 * The import graph of src/ (static imports and re-exports, `import type` included: a type-only circle is still two
 * files that cannot be understood apart), checked for the layering rules of DESIGN.md that a reader cannot see.
 */
const SRC = new URL('../../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** The src/ files one file imports statically, as paths relative to src/ (`runtime/engine.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'/gms)].map((m) => m[1] ?? '');
  return specifiers
    .map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')))
    .filter((path) => existsSync(path))
    .map((path) => relative(SRC, path));
}

const graph = new Map(sourceFiles(SRC).map((file) => [relative(SRC, file), importsOf(file)]));

/** Strongly connected components of more than one file (Tarjan): each one is an import circle. */
function circles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) ?? 0);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) visit(next);
      if (onStack.has(next)) low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0, index.get(next) ?? 0));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) found.push(component.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

it('src/ has no import circle (two files or more importing each other, types included)', () => {
  assert.deepEqual(circles(graph), []);
});

it('the circle check finds a circle when there is one', () => {
  const edges = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  assert.deepEqual(circles(edges), [['a.ts', 'b.ts', 'c.ts']]);
});

it('plan/ is pure: it imports no adapter (from runtime/, only the ContainerEngine port and its types)', () => {
  const offending = [...graph]
    .filter(([file]) => file.startsWith('plan/'))
    .flatMap(([file, imports]) => imports.map((target) => `${file} -> ${target}`))
    .filter((edge) => /-> runtime\//.test(edge) && !edge.endsWith('-> runtime/engine.ts'));
  assert.deepEqual(offending, []);
});

it('no code outside runtime/ takes types from the Docker adapter; only the composition root creates it', () => {
  const importers = [...graph]
    .filter(([file, imports]) => imports.includes('runtime/docker.ts') && !file.startsWith('runtime/'))
    .map(([file]) => file);
  assert.deepEqual(importers, ['cli/context.ts']);
});
