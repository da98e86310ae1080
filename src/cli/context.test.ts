import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { LocalAgent } from '../deploy/handover.js';
import { loadConfig } from './config-cache.js';
import { agentListen, deployHost } from './context.js';

const env = { RUNDOCK_CONFIG: '/dev/null' };
const agent = (addresses: { public?: string; private?: string } | undefined): LocalAgent => ({
  base: 'http://127.0.0.1:9476',
  status: { services: [], ...(addresses && { addresses }) },
  handover: {} as LocalAgent['handover'],
});

describe('the host for a deploy', () => {
  before(() => loadConfig({}, env));
  it("takes the agent's addresses when nothing else is given", () => {
    const host = deployHost({}, agent({ private: '10.0.0.2', public: '203.0.113.1' }), env);
    assert.deepEqual(host.addresses, { private: '10.0.0.2', public: '203.0.113.1' });
  });

  it('accepts the same address given again, refuses another one naming where it came from', () => {
    const same = deployHost({ privateIp: '10.0.0.2' }, agent({ private: '10.0.0.2' }), env);
    assert.equal(same.addresses.private, '10.0.0.2');
    assert.throws(() => deployHost({ privateIp: '10.0.0.3' }, agent({ private: '10.0.0.2' }), env), {
      code: 'RUNDOCK_E_ADDRESS_MISMATCH',
      field: 'private-ip',
      value: '10.0.0.3',
    });
    assert.throws(() => deployHost({}, agent({ private: '10.0.0.2' }), { ...env, RUNDOCK_PRIVATE_IP: '10.0.0.3' }), {
      field: 'RUNDOCK_PRIVATE_IP',
    });
  });

  it('without an agent (or one that does not say), the addresses given or detected', () => {
    assert.equal(deployHost({ privateIp: '10.0.0.3' }, undefined, env).addresses.private, '10.0.0.3');
    assert.equal(deployHost({ privateIp: '10.0.0.3' }, agent(undefined), env).addresses.private, '10.0.0.3');
  });

  it('names the source of a bad address: the flag, or the environment variable', () => {
    assert.throws(() => deployHost({}, undefined, { ...env, RUNDOCK_PUBLIC_IP: 'nope' }), {
      message: 'RUNDOCK_PUBLIC_IP: must be an IPv4 address (got "nope")',
    });
    assert.throws(() => agentListen(undefined, {}, { ...env, RUNDOCK_AGENT: 'nope' }), { field: 'RUNDOCK_AGENT' });
  });
});
