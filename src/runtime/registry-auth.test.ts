import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RundockError } from '../shared/errors.js';
import { pullAuth, registryOf } from './registry-auth.js';

const dir = mkdtempSync(join(tmpdir(), 'rundock-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A DOCKER_CONFIG directory holding `config`, and a PATH with a fake credential helper `docker-credential-fake`. */
function env(config: unknown, helper?: string): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(dir, 'cfg-'));
  writeFileSync(join(home, 'config.json'), JSON.stringify(config));
  if (helper !== undefined) {
    writeFileSync(join(home, 'docker-credential-fake'), `#!/bin/sh\nread server\n${helper}\n`);
    chmodSync(join(home, 'docker-credential-fake'), 0o755);
  }
  return { DOCKER_CONFIG: home, PATH: `${home}:/usr/bin:/bin` };
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('registry credentials', () => {
  it('names the registry of an image as Docker does', () => {
    assert.equal(registryOf('127.0.0.1:5000/influxdb:latest'), '127.0.0.1:5000');
    assert.equal(registryOf('registry.example.com/team/app@sha256:abc'), 'registry.example.com');
    assert.equal(registryOf('localhost/app'), 'localhost');
    assert.equal(registryOf('grafana/grafana:10'), 'https://index.docker.io/v1/');
    assert.equal(registryOf('busybox'), 'https://index.docker.io/v1/');
  });

  it('reads auths entries: base64 user:password (the password may hold colons), or an identity token', async () => {
    const e = env({
      auths: {
        'registry.example.com': { auth: b64('deploy:s3:cr:et') },
        'https://index.docker.io/v1/': { auth: b64('hub:pw') },
        'tok.example.com': { identitytoken: 'T0K' },
      },
    });
    assert.deepEqual(await pullAuth('registry.example.com/app:1', e), {
      username: 'deploy',
      password: 's3:cr:et',
      serveraddress: 'registry.example.com',
    });
    assert.deepEqual(await pullAuth('grafana/grafana', e), {
      username: 'hub',
      password: 'pw',
      serveraddress: 'https://index.docker.io/v1/',
    });
    assert.deepEqual(await pullAuth('tok.example.com/app', e), {
      identitytoken: 'T0K',
      serveraddress: 'tok.example.com',
    });
    assert.equal(await pullAuth('other.example.com/app', e), undefined);
  });

  it('asks the credential helper of the registry (stdin: its address), before auths', async () => {
    const e = env(
      { credHelpers: { 'registry.example.com': 'fake' }, auths: { 'registry.example.com': { auth: b64('old:old') } } },
      'echo "{\\"ServerURL\\":\\"$server\\",\\"Username\\":\\"from-helper\\",\\"Secret\\":\\"$server-secret\\"}"',
    );
    assert.deepEqual(await pullAuth('registry.example.com/app', e), {
      username: 'from-helper',
      password: 'registry.example.com-secret',
      serveraddress: 'registry.example.com',
    });
  });

  it('pulls anonymously when the helper has nothing, and names a helper that fails or is missing', async () => {
    const none = env({ credsStore: 'fake' }, 'echo "credentials not found in native keychain"; exit 1');
    assert.equal(await pullAuth('registry.example.com/app', none), undefined);
    const broken = env({ credsStore: 'fake' }, 'echo "keychain locked"; exit 1');
    await assert.rejects(
      pullAuth('registry.example.com/app', broken),
      (error: unknown) =>
        error instanceof RundockError &&
        /docker-credential-fake \(for registry\.example\.com.*\) failed: keychain locked/.test(error.message),
    );
    const missing = env({ credsStore: 'nosuch' });
    await assert.rejects(pullAuth('registry.example.com/app', missing), /docker-credential-nosuch .* is not installed/);
  });

  it('without a config file pulls anonymously; a broken one is an error naming it', async () => {
    assert.equal(await pullAuth('registry.example.com/app', { DOCKER_CONFIG: join(dir, 'none') }), undefined);
    const bad = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(bad, 'config.json'), '{ not json');
    await assert.rejects(
      pullAuth('registry.example.com/app', { DOCKER_CONFIG: bad }),
      /config\.json cannot be read as Docker's config/,
    );
  });
});
