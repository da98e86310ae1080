import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { Forwarder, parseUpstream } from './forward.js';

describe('parseUpstream', () => {
  it('reads ip:port, [ipv6]:port and bare addresses (port 53)', () => {
    assert.deepEqual(parseUpstream('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353 });
    assert.deepEqual(parseUpstream('10.0.0.1'), { host: '10.0.0.1', port: 53 });
    assert.deepEqual(parseUpstream('[::1]:53'), { host: '::1', port: 53 });
    assert.deepEqual(parseUpstream('::1'), { host: '::1', port: 53 });
  });

  it('rejects names and bad ports', () => {
    for (const bad of ['dns.example.com:53', '10.0.0.1:0', '10.0.0.1:99999', '10.0.0.1:x', ''])
      assert.throws(() => parseUpstream(bad), /forward must be/);
  });
});

/** A fake upstream on loopback that answers each query through `respond`. */
async function fakeUpstream(
  respond: (query: Buffer, socket: Socket, port: number, address: string) => void,
): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (query, from) => respond(query, socket, from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

const query = (name: string, id: number): Buffer =>
  dnsPacket.encode({ type: 'query', id, questions: [{ name, type: 'A' }] });

describe('Forwarder', () => {
  it('relays under a fresh id, ignores replies with another question, returns the answer under the client id', async () => {
    const upstream = await fakeUpstream((q, socket, port, address) => {
      const spoof = query('evil.example.org', q.readUInt16BE(0));
      spoof[2] = 0x80;
      socket.send(spoof, port, address);
      const real = Buffer.from(q);
      real[2] = 0x81;
      setTimeout(() => socket.send(real, port, address), 20);
    });
    const forwarder = await Forwarder.open(`127.0.0.1:${upstream.address().port}`, 1000);
    try {
      const result = await forwarder.relay(query('www.example.org', 4321));
      assert.ok(result.ok);
      const decoded = dnsPacket.decode(result.reply);
      assert.deepEqual([decoded.id, decoded.questions?.[0]?.name], [4321, 'www.example.org']);
    } finally {
      forwarder.close();
      upstream.close();
    }
  });

  it('times out a silent upstream and refuses work beyond its bound', async () => {
    const upstream = await fakeUpstream(() => undefined);
    const forwarder = await Forwarder.open(`127.0.0.1:${upstream.address().port}`, 50, 1);
    try {
      const first = forwarder.relay(query('a.example.org', 1));
      assert.deepEqual(await forwarder.relay(query('b.example.org', 2)), { ok: false, reason: 'overloaded' });
      assert.deepEqual(await first, { ok: false, reason: 'timeout' });
    } finally {
      forwarder.close();
      upstream.close();
    }
  });
});
