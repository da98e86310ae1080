import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as z from 'zod/mini';
import { decodeJson, readJson } from './json.js';

const schema = z.object({ host: z.string(), port: z.number() });

describe('readJson', () => {
  it('gives the checked value', () => {
    assert.deepEqual(readJson(schema, '{"host":"a","port":1}'), { ok: true, value: { host: 'a', port: 1 } });
  });

  it('says why text is not JSON, or not the schema, naming the field', () => {
    const notJson = readJson(schema, '{"host":');
    assert.equal(notJson.ok, false);
    assert.match(notJson.ok ? '' : notJson.reason, /^not JSON: /);
    const wrong = readJson(schema, '{"host":"a","port":"1"}');
    assert.match(wrong.ok ? '' : wrong.reason, /port/);
  });
});

describe('decodeJson', () => {
  it('is the value, or undefined for anything else, never a throw', () => {
    assert.deepEqual(decodeJson(schema, '{"host":"a","port":1}'), { host: 'a', port: 1 });
    for (const text of ['', 'null', '[]', '{"host":1}', '{']) assert.equal(decodeJson(schema, text), undefined, text);
  });
});
