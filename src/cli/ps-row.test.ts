import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerState, ObservedContainer } from '../runtime/engine.js';
import { LABEL } from '../service-spec/labels.js';
import { psTable, serviceRow } from './ps-row.js';

const labels = { [LABEL.service]: 'web', [LABEL.image]: 'web:1', [LABEL.announce]: '8080', [LABEL.port]: '80' };
const listed: ObservedContainer = {
  id: 'c'.repeat(64),
  name: 'web',
  labels,
  status: 'running',
  imageId: 'sha256:i',
  mounts: [],
  ports: [],
};
const state = (over: Partial<ContainerState> = {}): ContainerState => ({
  id: listed.id,
  name: 'web',
  status: 'running',
  running: true,
  restarting: false,
  exitCode: 0,
  restartCount: 0,
  startedAt: '2026-11-29T10:00:00Z',
  finishedAt: '0001-01-01T00:00:00Z',
  imageId: 'sha256:i',
  labels,
  published: [{ containerPort: '80/tcp', hostIp: '127.0.0.1', hostPort: 21081 }],
  networkMode: 'bridge',
  ...over,
});
const addresses = { private: '192.0.2.2' };

describe('ps rows', () => {
  it("PUBLISHED is Docker's binding, not this host's detected address", () => {
    const row = serviceRow(listed, state(), addresses, undefined);
    assert.equal(row.published, '127.0.0.1:21081');
    assert.deepEqual([row.announced, row.reason], [null, null]);
  });

  it('with --network host, the address the service listens on, said so in the table', () => {
    const row = serviceRow(listed, state({ published: [], networkMode: 'host' }), addresses, undefined);
    assert.deepEqual([row.published, row.network], ['192.0.2.2:8080', 'host']);
    assert.match(psTable([row]), /192\.0\.2\.2:8080 \(host network\)/);
  });

  it('a container the agent does not list is "not running" when it is not; the probe shows in HEALTH', () => {
    const created = serviceRow(listed, state({ status: 'created', running: false, published: [] }), addresses, {});
    assert.deepEqual([created.announced, created.reason, created.published], [false, 'not running', null]);
    const probed = serviceRow(listed, state(), addresses, {
      status: {
        service: 'web',
        container: listed.id,
        announced: true,
        reason: 'running and healthy',
        health: 'healthy',
      },
    });
    assert.deepEqual([probed.health, probed.health_check, probed.announced], ['healthy', 'probe', true]);
    assert.match(psTable([probed]), /healthy \(probe\)/);
    const docker = serviceRow(listed, state({ health: 'starting' }), addresses, {
      status: {
        service: 'web',
        container: listed.id,
        announced: false,
        reason: 'health check: starting',
        health: 'starting',
      },
    });
    assert.deepEqual([docker.health, docker.health_check], ['starting', 'docker']);
  });
});
