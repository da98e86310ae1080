import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { ObservedContainer } from '../runtime/engine.js';
import { checkHostPorts, hostBindings } from './ports.js';

const container = (name: string, hostPort: number, hostIp = '127.0.0.1'): ObservedContainer => ({
  id: `${name}`.padEnd(64, '0'),
  name,
  labels: {},
  status: 'running',
  imageId: 'sha256:i',
  mounts: [],
  ports: [{ hostIp, hostPort, protocol: 'tcp' }],
});

describe('host ports', () => {
  it('lists the fixed bindings of a body with the spec field each comes from; a port Docker picks is none', () => {
    const body = {
      HostConfig: {
        PortBindings: {
          '80/tcp': [{ HostIp: '10.0.0.2', HostPort: '8080' }],
          '53/udp': [{ HostIp: '', HostPort: '5353' }],
          '81/tcp': [{ HostIp: '10.0.0.2', HostPort: '' }],
        },
      },
    };
    assert.deepEqual(hostBindings(body, { ip: '10.0.0.2', port: 8080 }), [
      { ip: '10.0.0.2', port: 8080, protocol: 'tcp', field: 'announce' },
      { ip: '0.0.0.0', port: 5353, protocol: 'udp', field: 'args' },
    ]);
  });

  it("finds a port another container publishes or a socket holds; the service's own are left out", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const held = (server.address() as AddressInfo).port;
    try {
      await assert.rejects(
        checkHostPorts([{ ip: '127.0.0.1', port: held, protocol: 'tcp', field: 'announce' }], [], []),
        {
          code: 'RUNDOCK_E_PORT_IN_USE',
          field: 'announce',
          value: `127.0.0.1:${held}`,
        },
      );
      await assert.rejects(
        checkHostPorts(
          [{ ip: '127.0.0.1', port: 1, protocol: 'tcp', field: 'args' }],
          [container('other', 1, '0.0.0.0')],
          [],
        ),
        /by container other/,
      );
      // Its own container publishes it (a redeploy with a fixed port): not in the way.
      const own = container('web', held);
      await checkHostPorts([{ ip: '127.0.0.1', port: held, protocol: 'tcp', field: 'announce' }], [], [own]);
    } finally {
      server.close();
    }
  });
});
