import assert from 'node:assert/strict';
import http from 'node:http';
import type https from 'node:https';
import { describe, it } from 'node:test';
import { connectEngine, dockerEndpoint, engineOptions } from './endpoint.js';
import { engineError } from './docker-errors.js';

const HOME = '/home/op';
const at = (env: NodeJS.ProcessEnv): ReturnType<typeof dockerEndpoint> => dockerEndpoint(env, HOME);
const files =
  (present: Record<string, string>) =>
  (path: string): Buffer => {
    const text = present[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return Buffer.from(text);
  };

describe('dockerEndpoint: the environment read as the docker CLI reads it', () => {
  it('defaults to the local socket, and takes unix:// paths', () => {
    assert.deepEqual(at({}), {
      kind: 'unix',
      socketPath: '/var/run/docker.sock',
      text: 'unix:///var/run/docker.sock (DOCKER_HOST unset)',
    });
    assert.equal(at({ DOCKER_HOST: '' }).kind, 'unix');
    assert.deepEqual(at({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }), {
      kind: 'unix',
      socketPath: '/run/user/1000/docker.sock',
      text: 'unix:///run/user/1000/docker.sock (DOCKER_HOST)',
    });
    assert.equal(at({ DOCKER_HOST: 'unix://' }).text, 'unix:///var/run/docker.sock (DOCKER_HOST)');
  });

  it('takes tcp:// (and a bare host:port) without TLS unless asked, port 2375 by default, whatever the port', () => {
    assert.deepEqual(at({ DOCKER_HOST: 'tcp://10.0.0.2:2376' }), {
      kind: 'tcp',
      host: '10.0.0.2',
      port: '2376',
      tls: undefined,
      text: 'tcp://10.0.0.2:2376 (DOCKER_HOST)',
    });
    assert.deepEqual(at({ DOCKER_HOST: 'tcp://docker.example' }), {
      kind: 'tcp',
      host: 'docker.example',
      port: '2375',
      tls: undefined,
      text: 'tcp://docker.example:2375 (DOCKER_HOST)',
    });
    assert.equal(at({ DOCKER_HOST: '127.0.0.1:2375' }).kind, 'tcp');
    // A certificate directory alone does not turn TLS on (docker-modem would).
    assert.deepEqual(
      at({ DOCKER_HOST: 'tcp://h:2376', DOCKER_CERT_PATH: '/certs' }),
      at({ DOCKER_HOST: 'tcp://h:2376' }),
    );
  });

  it('turns TLS on for any non-empty DOCKER_TLS_VERIFY (verified) or DOCKER_TLS (not verified), certificates from ~/.docker by default', () => {
    const verified = at({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: 'yes' });
    assert.ok(verified.kind === 'tcp');
    assert.deepEqual(verified.tls, { verify: true, certPath: '/home/op/.docker' });
    assert.equal(verified.text, 'tcp://h:2376 with TLS, verified (DOCKER_HOST)');
    const env = { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '0', DOCKER_CERT_PATH: '/certs' };
    const given = at(env);
    assert.deepEqual(given.kind === 'tcp' && given.tls, { verify: true, certPath: '/certs' });
    const unverified = at({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1', DOCKER_TLS_VERIFY: '' });
    assert.deepEqual(unverified.kind === 'tcp' && unverified.tls, { verify: false, certPath: '/home/op/.docker' });
  });

  it('rejects what it cannot use, naming DOCKER_HOST and the value (exit 2)', () => {
    for (const bad of [
      'npipe:////./pipe/docker_engine',
      'fd://',
      'http://h:2375',
      'unix://relative.sock',
      'tcp://h:2375/prefix',
      'tcp://h:99999',
    ]) {
      assert.throws(
        () => at({ DOCKER_HOST: bad }),
        (e: Error & { field?: string; exitCode?: number }) =>
          e.field === 'DOCKER_HOST' && e.exitCode === 2 && e.message.includes(JSON.stringify(bad)),
        bad,
      );
    }
  });
});

describe('engineOptions', () => {
  it('gives every option explicitly, so docker-modem adds nothing of its own', () => {
    const { agent, ...socket } = engineOptions(at({}), files({}));
    assert.deepEqual(socket, {
      socketPath: '/var/run/docker.sock',
      host: undefined,
      port: undefined,
      ca: undefined,
      cert: undefined,
      key: undefined,
      protocol: 'http',
    });
    // Node's global agent less the server name it would derive from "localhost" for every request.
    assert.ok(agent instanceof http.Agent);
    assert.deepEqual(
      { ...(agent as http.Agent & { options: object }).options },
      {
        ...(http.globalAgent as http.Agent & { options: object }).options,
        servername: '',
      },
    );
    assert.equal(
      engineOptions(at({ DOCKER_HOST: 'tcp://h:2376', DOCKER_CERT_PATH: '/certs' }), files({})).protocol,
      'http',
    );
  });

  it('reads ca.pem, cert.pem and key.pem for verified TLS and verifies the server', () => {
    const o = engineOptions(
      at({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' }),
      files({ '/c/ca.pem': 'CA', '/c/cert.pem': 'CERT', '/c/key.pem': 'KEY' }),
    );
    assert.equal(o.protocol, 'https');
    assert.deepEqual(
      [o.ca?.toString(), o.cert?.toString(), (o.key as Buffer | undefined)?.toString()],
      ['CA', 'CERT', 'KEY'],
    );
    assert.equal((o.agent as https.Agent | undefined)?.options.rejectUnauthorized, true);
  });

  it('needs ca.pem to verify, takes the client certificate as optional, and does not verify with DOCKER_TLS alone', () => {
    const verify = at({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' });
    assert.throws(
      () => engineOptions(verify, files({})),
      (e: Error & { field?: string; exitCode?: number }) =>
        e.field === 'DOCKER_CERT_PATH' && e.exitCode === 2 && /ca\.pem/.test(e.message),
    );
    assert.equal(engineOptions(verify, files({ '/c/ca.pem': 'CA' })).cert, undefined);
    const o = engineOptions(at({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1', DOCKER_CERT_PATH: '/c' }), files({}));
    assert.equal(o.protocol, 'https');
    assert.equal((o.agent as https.Agent | undefined)?.options.rejectUnauthorized, false);
  });

  it('constructs a client for tcp with a certificate directory docker-modem would choke on', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { DOCKER_HOST: 'tcp://127.0.0.1:1', DOCKER_CERT_PATH: '/nonexistent' });
      const docker = connectEngine(
        at({ DOCKER_HOST: 'tcp://127.0.0.1:1', DOCKER_CERT_PATH: '/nonexistent' }),
        files({}),
      );
      assert.equal((docker.modem as unknown as { protocol: string }).protocol, 'http');
      assert.equal(process.env.DOCKER_HOST, 'tcp://127.0.0.1:1');
    } finally {
      process.env = saved;
    }
  });

  it('names the endpoint when the engine cannot be reached', () => {
    const e = engineError(
      'list containers',
      Object.assign(new Error('connect ENOENT /nonexistent'), { code: 'ENOENT' }),
      'unix:///nonexistent (DOCKER_HOST)',
    );
    assert.equal(e.code, 'RUNDOCK_E_DOCKER_UNREACHABLE');
    assert.match(e.message, /unix:\/\/\/nonexistent \(DOCKER_HOST\).*ENOENT/);
  });
});
