/**
 * The Ansible module's parameters (library/rundock.py, ARGUMENT_SPEC) against the service spec they are passed on as
 * (src/spec/schema.ts): the same keys, nested keys, defaults and choices, so a field added to one is added to both.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type * as z from 'zod/mini';
import { healthSchema, probeSchema, serviceSchema } from '../../src/spec/schema.js';

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
