import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { ERROR_CODES } from '../../src/shared/errors.js';

it('docs/errors.md lists exactly the error codes of src/shared/errors.ts, with their exit statuses', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `(RUNDOCK_E_[A-Z_]+)` \| (\d) \|/gm)].map((m) => [m[1], Number(m[2])]);
  const code = Object.entries(ERROR_CODES).map(([name, { exit }]) => [name, exit]);
  assert.deepEqual(rows.sort(), code.sort());
});
