import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ValidationErrors } from '../shared/errors.js';
import { prepareAll, readServicesFile } from './services-file.js';

const dir = mkdtempSync(join(tmpdir(), 'rundock-services-file-'));
const host = { name: 'node-1', addresses: { private: '10.0.0.2', public: '10.0.0.2' }, version: '0.1.0' };
const file = (text: string): string => {
  const path = join(dir, `${Math.random().toString(16).slice(2)}.yml`);
  writeFileSync(path, text);
  return path;
};

describe('services files', () => {
  it('names each entry by its service, in either form; an unnamed list entry by its place', () => {
    const map = readServicesFile(file('services:\n  web:\n    image: web:1\n  db:\n'));
    assert.deepEqual(map, [
      { where: 'services.web.', raw: { name: 'web', image: 'web:1' } },
      { where: 'services.db.', raw: { name: 'db' } },
    ]);
    const list = readServicesFile(file('services:\n  - name: web\n  - image: x:1\n'));
    assert.deepEqual(
      list.map((e) => e.where),
      ['services.web.', 'services[1].'],
    );
  });

  it('reports every error of the file at once, a mistyped key with its suggestion', () => {
    const entries = readServicesFile(
      file(
        'services:\n  web:\n    image: web:1\n    anounce: 80\n  api:\n    image: api:1\n    args: --bogus\n    pull: sometimes\n',
      ),
    );
    const error = (() => {
      try {
        prepareAll(entries, host);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof ValidationErrors);
    assert.deepEqual(
      error.errors.map((e) => e.field),
      ['services.web.anounce', 'services.api.pull'],
    );
    assert.equal(
      error.errors[0]?.message,
      'services.web.anounce: is not a known field (did you mean announce?) (got "anounce")',
    );
    assert.equal(error.message.split('\n').length, 2, 'one line each');
    assert.equal(error.exitCode, 2);
  });

  it('says plainly that a file does not exist', () => {
    assert.throws(() => readServicesFile(join(dir, 'missing.yml')), {
      code: 'RUNDOCK_E_CONFIG',
      message: `${join(dir, 'missing.yml')} does not exist`,
    });
  });
});
