import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { readEnvFile } from './env-file.js';

it('reads docker env files: literal values, comments, and bare names taken from the environment', () => {
  const file = join(tmpdir(), `rundock-env-${process.pid}`);
  writeFileSync(file, '# secrets\nA=1\n\nB="quoted stays" \nFROM_ENV\nUNSET_ONE\nC=a=b\n');
  assert.deepEqual(readEnvFile(file, 'env_file', { FROM_ENV: 'x' }), [
    'A=1',
    'B="quoted stays" ',
    'FROM_ENV=x',
    'C=a=b',
  ]);
  writeFileSync(file, 'BAD NAME=1\n');
  assert.throws(() => readEnvFile(file, 'env_file'), { field: 'env_file', exitCode: 2 });
  writeFileSync(file, 'OK=1\ns3cr3t pasted without a name\n');
  assert.throws(
    () => readEnvFile(file, 'env_file'),
    (e: Error) => e.message.includes(`${file}:2`) && !e.message.includes('s3cr3t'),
  );
  assert.throws(() => readEnvFile('/nonexistent/env', 'env_file'), { field: 'env_file', value: '/nonexistent/env' });
});
