import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateService } from '../service-spec/validate.js';
import { parseArgs } from '../service-spec/args/index.js';
import { canonicalJson } from './canonical.js';
import { buildDesiredContainer, secretEnv, type BodyInput } from './container-body.js';
import { ENV_DIGEST_FIELD, envDigest, envDigestKey, hashInput } from './env-digest.js';

const key = envDigestKey('753K:A4YQ:CHVK:3CRH');
const host = { name: 'node-back-1', addresses: { private: '10.0.0.2' } };

function desired(
  files: string[],
  args = '-e PUBLIC=1',
  engineKey = key,
): ReturnType<typeof buildDesiredContainer> & { input: BodyInput } {
  const valid = validateService({ name: 'web', image: 'web:1', args });
  const input: BodyInput = {
    spec: { ...valid, image: 'web:1' },
    run: parseArgs(valid.args, {}),
    envFromFiles: files,
    host,
    version: '0.1.0',
  };
  return { ...buildDesiredContainer({ ...input, envDigest: envDigest(engineKey, secretEnv(input)) }), input };
}

describe('env digest', () => {
  it('keeps secret values in Env and out of the hash input and the labels', () => {
    const d = desired(['DB_PASSWORD=hunter2']);
    assert.deepEqual(d.body.Env, ['DB_PASSWORD=hunter2', 'PUBLIC=1']);
    const { 'io.rundock.spec-hash': _hash, 'io.rundock.version': _version, ...labels } = d.body.Labels ?? {};
    const hashed = canonicalJson(hashInput({ ...d.body, Labels: labels }, secretEnv(d.input), 'hmac-sha256:x'));
    assert.ok(!hashed.includes('hunter2'));
    assert.match(hashed, /"Env":\["DB_PASSWORD","PUBLIC=1"\]/);
    assert.ok(!JSON.stringify(d.body.Labels).includes('hunter2'));
  });

  it('changes the hash when a secret value changes, keeps it when nothing does', () => {
    const a = desired(['DB_PASSWORD=hunter2']);
    assert.equal(desired(['DB_PASSWORD=hunter2']).hash, a.hash);
    assert.notEqual(desired(['DB_PASSWORD=hunter3']).hash, a.hash);
    assert.notEqual(desired(['DB_PASSWORD=hunter2', 'X=1']).hash, a.hash);
  });

  it('depends on the engine key, so a guess cannot be tested without it', () => {
    assert.notEqual(
      desired(['DB_PASSWORD=hunter2'], '', envDigestKey('other-engine')).hash,
      desired(['DB_PASSWORD=hunter2'], '').hash,
    );
    assert.match(envDigest(key, ['A=1']), /^hmac-sha256:[0-9a-f]{64}$/);
    assert.throws(() => envDigestKey(''), /no ID/);
  });

  it('treats -e KEY taken from the environment as secret, -e KEY=VALUE as visible', () => {
    process.env.RUNDOCK_TEST_INHERITED = 'from-env-s3cret';
    try {
      const d = desired([], '-e PUBLIC=1 -e RUNDOCK_TEST_INHERITED');
      assert.deepEqual(secretEnv(d.input), ['RUNDOCK_TEST_INHERITED=from-env-s3cret']);
      const hashed = canonicalJson(hashInput(d.body, secretEnv(d.input), 'd'));
      assert.ok(!hashed.includes('from-env-s3cret'));
      assert.match(
        hashed,
        new RegExp(`"Env":\\["PUBLIC=1","RUNDOCK_TEST_INHERITED"\\],"HostConfig".*"${ENV_DIGEST_FIELD}":"d"`),
      );
    } finally {
      delete process.env.RUNDOCK_TEST_INHERITED;
    }
  });

  it('leaves a body without secrets as it is, so its hash is unchanged', () => {
    const body = { Env: ['A=1'], Image: 'x' };
    assert.equal(hashInput(body, [], undefined), body);
    assert.throws(() => hashInput(body, ['A=1'], undefined), /digest/);
  });
});
