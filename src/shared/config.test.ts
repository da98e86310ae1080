import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadHostConfig } from './config.js';
import { ValidationError } from './errors.js';

const dir = mkdtempSync(join(tmpdir(), 'rundock-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => (writeFileSync(join(dir, name), text), join(dir, name));

describe('config file', () => {
  it('reads the dns and gateway sections, frozen', () => {
    const path = file(
      'ok.yml',
      [
        'domain: s.prod.example.com',
        'dns: {listen: "10.0.0.11:53", workers: 2, dns_rate_limit_exempt: [10.0.0.0/8]}',
        'gateway:',
        '  nginx_conf_dir: /etc/nginx/rundock',
        '  upstream: [grafana=docker_grafana]',
        '  nginx_reload: signal',
      ].join('\n'),
    );
    const config = loadHostConfig(path, {});
    assert.deepEqual(config.dns, { listen: '10.0.0.11:53', workers: 2, dns_rate_limit_exempt: ['10.0.0.0/8'] });
    assert.deepEqual(config.gateway?.upstream, ['grafana=docker_grafana']);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.dns) && Object.isFrozen(config.gateway));
  });

  it('names the key of a section that is unknown or of the wrong type (RUNDOCK_E_CONFIG, exit status 2)', () => {
    const cases: [string, string][] = [
      ['dns: {lisen: "10.0.0.1:53"}', 'dns.lisen'],
      ['dns: {workers: 0}', 'dns.workers'],
      ['gateway: {upstream: grafana}', 'gateway.upstream'],
      ['gateway: {nginx_reload: sometimes}', 'gateway.nginx_reload'],
      ['agent: {}', 'agent'],
    ];
    for (const [text, key] of cases) {
      const path = file('bad.yml', text);
      assert.throws(
        () => loadHostConfig(path, {}),
        (e: unknown) =>
          e instanceof ValidationError &&
          e.field === `${path}: ${key}` &&
          e.code === 'RUNDOCK_E_CONFIG' &&
          e.exitCode === 2,
        text,
      );
    }
  });
});
