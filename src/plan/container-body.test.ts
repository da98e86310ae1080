import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLabels } from '../service-spec/labels.js';
import { validateService } from '../service-spec/validate.js';
import { buildDesiredContainer, type BodyInput } from './container-body.js';

const host = { name: 'node-back-1', addresses: { public: '203.0.113.10', private: '10.0.0.2' } };

function input(spec: Record<string, unknown>, over: Partial<BodyInput> = {}): BodyInput {
  const valid = validateService({ state: 'enabled', image: 'grafana:local', ...spec });
  return {
    spec: { ...valid, image: valid.image ?? '' },
    run: { body: { HostConfig: {} }, envFiles: [] },
    envFromFiles: [],
    host,
    version: '0.1.0',
    ...over,
  };
}

describe('buildDesiredContainer', () => {
  it('publishes announce on the private address to the container port, names the hostname and labels the spec', () => {
    const { body, hash, published, snapshot } = buildDesiredContainer(
      input({ name: 'grafana', announce: 8087, port: 80 }),
    );
    assert.deepEqual(published, { ip: '10.0.0.2', port: 8087 });
    assert.deepEqual(body, {
      Image: 'grafana:local',
      Hostname: 'node-back-1-grafana',
      ExposedPorts: { '80/tcp': {} },
      HostConfig: {
        RestartPolicy: { Name: 'unless-stopped' },
        PortBindings: { '80/tcp': [{ HostIp: '10.0.0.2', HostPort: '8087' }] },
      },
      Labels: {
        'io.rundock.service': 'grafana',
        'io.rundock.spec-hash': hash,
        'io.rundock.image': 'grafana:local',
        'io.rundock.announce-as': 'private',
        'io.rundock.announce': '8087',
        'io.rundock.port': '80',
        'io.rundock.version': '0.1.0',
        'io.rundock.spec': snapshot,
      },
    });
    // The spec label is what the hash covers: the body without the spec-hash, version and spec labels.
    const {
      'io.rundock.spec-hash': _h,
      'io.rundock.version': _v,
      'io.rundock.spec': _s,
      ...labels
    } = body.Labels ?? {};
    assert.deepEqual(JSON.parse(snapshot ?? ''), { ...body, Labels: labels });
  });

  it('carries restart_unhealthy in io.rundock.restart-unhealthy, which the agent decodes; a bad value is refused by name', () => {
    const { body } = buildDesiredContainer(input({ name: 'web', announce: 80, restart_unhealthy: 3 }));
    assert.equal(body.Labels?.['io.rundock.restart-unhealthy'], '3');
    assert.equal(decodeLabels(body.Labels ?? {})?.restartUnhealthy, 3);
    assert.equal(
      decodeLabels({ 'io.rundock.service': 'web', 'io.rundock.restart-unhealthy': '0' })?.restartUnhealthy,
      undefined,
    );
    for (const bad of [0, 1.5, 'three'])
      assert.throws(() => validateService({ name: 'web', image: 'web:1', restart_unhealthy: bad }), {
        code: 'RUNDOCK_E_INVALID_SPEC',
        message: /^restart_unhealthy: must be a whole number of failed checks, at least 1/,
      });
  });

  it('publishes nothing for announce_as container', () => {
    const { body, published } = buildDesiredContainer(
      input({ name: 'grafana', announce: 8087, port: 80, announce_as: 'container' }),
    );
    assert.equal(published, undefined);
    assert.equal(body.HostConfig.PortBindings, undefined);
    assert.equal(body.Labels?.['io.rundock.port'], '80');
  });

  it('hashes only what defines the container: the same input gives the same hash, a change a new one', () => {
    const a = buildDesiredContainer(input({ name: 'web', announce: 80 }));
    assert.equal(buildDesiredContainer(input({ name: 'web', announce: 80 })).hash, a.hash);
    assert.notEqual(buildDesiredContainer(input({ name: 'web', announce: 81 })).hash, a.hash);
    assert.notEqual(
      buildDesiredContainer(
        input({ name: 'web', announce: 80 }, { envFromFiles: ['A=1'], envDigest: 'hmac-sha256:00' }),
      ).hash,
      a.hash,
    );
    assert.notEqual(buildDesiredContainer(input({ name: 'web', announce: 80 }, { version: '9.9.9' })).hash, undefined);
    assert.equal(buildDesiredContainer(input({ name: 'web', announce: 80 }, { version: '9.9.9' })).hash, a.hash);
  });

  it('puts env files before -e values and takes the command as given', () => {
    const run = { body: { Env: ['B=2'], HostConfig: {} }, envFiles: [] };
    const { body } = buildDesiredContainer(
      input({ name: 'web' }, { run, envFromFiles: ['A=1'], envDigest: 'hmac-sha256:00', cmd: ['httpd', '-f'] }),
    );
    assert.deepEqual(body.Env, ['A=1', 'B=2']);
    assert.deepEqual(body.Cmd, ['httpd', '-f']);
  });

  it('rejects a restart policy given twice and a host network port that differs from announce', () => {
    const run = { body: { HostConfig: { RestartPolicy: { Name: 'always' } } }, envFiles: [] };
    assert.throws(() => buildDesiredContainer(input({ name: 'web', restart: 'no' }, { run })), {
      field: 'restart',
      exitCode: 2,
    });
    const hostNet = { body: { HostConfig: { NetworkMode: 'host' } }, envFiles: [] };
    assert.throws(() => buildDesiredContainer(input({ name: 'web', announce: 8080, port: 80 }, { run: hostNet })), {
      field: 'port',
    });
    assert.equal(
      buildDesiredContainer(input({ name: 'web', announce: 8080 }, { run: hostNet })).body.Hostname,
      undefined,
    );
  });

  it('fails naming announce_as when the address it needs is unknown', () => {
    const noAddr = { name: 'h', addresses: {} };
    assert.throws(
      () => buildDesiredContainer(input({ name: 'web', announce: 80, announce_as: 'public' }, { host: noAddr })),
      {
        code: 'RUNDOCK_E_HOST_ADDRESS',
        field: 'announce_as',
      },
    );
  });

  it('keeps secret env values out of every label: the spec label holds their names and the keyed digest', () => {
    const { body, snapshot } = buildDesiredContainer(
      input(
        { name: 'web', announce: 80 },
        {
          envFromFiles: ['TOKEN=hunter2'],
          envDigest: 'hmac-sha256:00',
          run: { body: { HostConfig: {}, Env: ['MODE=prod'] }, envFiles: [] },
        },
      ),
    );
    assert.deepEqual(body.Env, ['TOKEN=hunter2', 'MODE=prod']);
    assert.ok(!JSON.stringify(body.Labels).includes('hunter2'));
    assert.deepEqual((JSON.parse(snapshot ?? '') as { Env: string[] }).Env, ['TOKEN', 'MODE=prod']);
  });
});
