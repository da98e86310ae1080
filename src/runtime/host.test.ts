import assert from 'node:assert/strict';
import type os from 'node:os';
import { describe, it } from 'node:test';
import { selectAddresses } from './host.js';

function v4(address: string, internal = false): os.NetworkInterfaceInfo {
  return {
    address,
    family: 'IPv4',
    internal,
    netmask: '255.255.255.0',
    mac: '00:00:00:00:00:00',
    cidr: `${address}/24`,
  };
}

describe('selectAddresses', () => {
  it('takes the first interface as public and the second as private, skipping loopback and docker bridges', () => {
    const ifaces = {
      lo: [v4('127.0.0.1', true)],
      eth0: [v4('203.0.113.10')],
      docker0: [v4('172.17.0.1')],
      eth1: [v4('10.0.0.2')],
    };
    assert.deepEqual(selectAddresses({}, ifaces), { public: '203.0.113.10', private: '10.0.0.2' });
  });

  it('uses the one interface for both when there is only one', () => {
    assert.deepEqual(selectAddresses({}, { eth0: [v4('10.0.0.2')] }), { public: '10.0.0.2', private: '10.0.0.2' });
  });

  it('lets explicit addresses and interfaces override detection', () => {
    const ifaces = { eth0: [v4('203.0.113.10')], eth1: [v4('10.0.0.2')] };
    assert.deepEqual(selectAddresses({ privateIp: '10.9.9.9', publicIface: 'eth1' }, ifaces), {
      public: '10.0.0.2',
      private: '10.9.9.9',
    });
    assert.throws(() => selectAddresses({ privateIface: 'wlan9' }, ifaces), { field: 'private_iface', exitCode: 2 });
  });
});
