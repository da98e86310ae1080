/**
 * The service spec's fields (src/service-spec/schema.ts) against what else names them: the Ansible module's parameters
 * (library/rundock.py, ARGUMENT_SPEC: keys, nested keys, defaults, choices), `rundock enable`'s flags and
 * docs/cli.md's table of them, so a field added to one is added to all.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import type * as z from 'zod/mini';
import { registerStateCommands } from '../../src/cli/state.js';
import { healthSchema, probeSchema, serviceSchema } from '../../src/service-spec/schema.js';

/** The module's own parameters: how to run rundock and this host's addresses, not spec keys. */
const MODULE_ONLY = ['private_ip', 'public_ip', 'rundock_cmd'];
/** Spec keys the module leaves out: `routes` is `route`'s plural (the module's `route` takes a list too). */
const NOT_IN_MODULE = ['routes'];

interface Parameter {
  readonly name: string;
  readonly line: string;
  readonly options: Parameter[];
}

const MODULE = readFileSync(new URL('../../library/rundock.py', import.meta.url), 'utf8');

/** ARGUMENT_SPEC's parameters, with the options of the `dict` ones. */
function argumentSpec(): Parameter[] {
  const block = MODULE.slice(
    MODULE.indexOf('ARGUMENT_SPEC = dict('),
    MODULE.indexOf('\n)\n', MODULE.indexOf('ARGUMENT_SPEC')),
  );
  const parameters: { name: string; line: string; options: Parameter[] }[] = [];
  for (const line of block.split('\n')) {
    const top = /^ {4}(\w+)=dict\(/.exec(line);
    const nested = /^ {8}(\w+)=dict\(/.exec(line);
    if (top?.[1] !== undefined) parameters.push({ name: top[1], line, options: [] });
    else if (nested?.[1] !== undefined) parameters.at(-1)?.options.push({ name: nested[1], line, options: [] });
  }
  return parameters;
}

/** The module's SPEC_KEYS: the parameters it passes on as the spec's keys. */
function specKeys(): string[] {
  const tuple = /SPEC_KEYS = \(([^)]*)\)/.exec(MODULE)?.[1] ?? '';
  return [...tuple.matchAll(/'(\w+)'/g)].map((m) => m[1] ?? '');
}

const names = (parameters: readonly Parameter[]): string[] => parameters.map((p) => p.name).sort();
const keysOf = (schema: { shape: object }, without: readonly string[] = []): string[] =>
  Object.keys(schema.shape)
    .filter((key) => !without.includes(key))
    .sort();

describe("the Ansible module's parameters", () => {
  const parameters = argumentSpec();

  it("are the service spec's keys, and the module's own", () => {
    assert.deepEqual(specKeys().sort(), keysOf(serviceSchema, NOT_IN_MODULE));
    assert.deepEqual(names(parameters), [...specKeys(), ...MODULE_ONLY].sort());
  });

  it("nest as the spec's health and probe do", () => {
    const options = (name: string): string[] => names(parameters.find((p) => p.name === name)?.options ?? []);
    assert.deepEqual(options('health'), keysOf(healthSchema));
    assert.deepEqual(options('probe'), keysOf(probeSchema));
  });

  it("have the spec's defaults and choices", () => {
    const shape: Record<string, z.ZodMiniType> = serviceSchema.shape;
    let checked = 0;
    for (const { name, line } of parameters) {
      const field = shape[name];
      const fallback = /default='([^']*)'/.exec(line)?.[1];
      if (field !== undefined && fallback !== undefined) {
        assert.equal(field.parse(undefined), fallback, `${name}: the module's default`);
        checked++;
      }
      const choices = [...(/choices=\[([^\]]*)\]/.exec(line)?.[1]?.matchAll(/'([^']*)'/g) ?? [])].map((m) => m[1]);
      if (field === undefined || choices.length === 0) continue;
      for (const choice of choices)
        assert.ok(field.safeParse(choice).success, `${name}: ${choice} is not a spec value`);
      assert.equal(field.safeParse('not-a-choice').success, false, `${name}: the spec takes more than the choices`);
      checked++;
    }
    assert.ok(checked >= 4, 'state and announce_as defaults, state, announce_as and pull choices');
  });
});

/** docs/cli.md's table of `enable`'s options: each row's flags and spec keys. */
function enableTable(): { flags: string[]; keys: string[]; line: string }[] {
  const text = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
  const start = text.indexOf('| option | spec key | meaning |');
  const rows = text.slice(start).split('\n').slice(2);
  return rows
    .slice(
      0,
      rows.findIndex((line) => !line.startsWith('|')),
    )
    .map((line) => {
      const [flags = '', keys = ''] = line.split(/(?<!\\)\|/).slice(1);
      return {
        flags: [...flags.matchAll(/`--([a-z-]+)/g)].map((m) => m[1] ?? ''),
        keys: [...keys.matchAll(/`([a-z_]+)/g)].map((m) => m[1] ?? ''),
        line,
      };
    });
}

describe("rundock enable's options", () => {
  const program = new Command();
  registerStateCommands(program, async () => undefined);
  const flags = (program.commands.find((c) => c.name() === 'enable')?.options ?? []).map((o) => o.long?.slice(2));
  const rows = enableTable();

  it("are docs/cli.md's table of them", () => {
    assert.deepEqual([...new Set(rows.flatMap((row) => row.flags))].sort(), [...new Set(flags)].sort());
  });

  it('give every spec key but the name and the state, and only spec keys (docs/cli.md)', () => {
    const keys = new Set(rows.flatMap((row) => row.keys));
    assert.deepEqual([...keys].sort(), keysOf(serviceSchema, ['name', 'state']));
  });
});
