/**
 * DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message is preceded by its 2-byte length; a client may send several
 * queries on one connection and receives the answers as they are ready (forwarded ones may come out of order, which
 * RFC 7766 6.2.1.1 allows, since answers are matched by id).
 */
import type { Socket } from 'node:net';
import type { QueryHandler, Reply } from '../answer/handler.js';

const EMPTY: Buffer = Buffer.alloc(0);

/** Serves one accepted connection until the client closes it or stays idle for `idleTimeoutMs`. */
export function serveTcpConnection(socket: Socket, handler: QueryHandler, idleTimeoutMs: number): void {
  socket.setNoDelay(true);
  // An idle connection holds a slot of the bounded pool: close it rather than wait for the client (RFC 7766 6.2.3).
  socket.setTimeout(idleTimeoutMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  let buffered = EMPTY;
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    let at = 0;
    while (buffered.length - at >= 2) {
      const length = buffered.readUInt16BE(at);
      if (buffered.length - at - 2 < length) break;
      const message = buffered.subarray(at + 2, at + 2 + length);
      at += 2 + length;
      send(socket, handler.handle(message, 'tcp'));
    }
    // Copy the incomplete rest, so one kept frame does not pin a large chunk in memory.
    buffered = at === buffered.length ? EMPTY : Buffer.from(buffered.subarray(at));
  });
}

function send(socket: Socket, reply: Reply): void {
  if (reply instanceof Promise) {
    reply.then(
      (bytes) => write(socket, bytes),
      () => socket.destroy(),
    );
    return;
  }
  write(socket, reply);
}

function write(socket: Socket, reply: Buffer | undefined): void {
  if (reply === undefined || socket.destroyed || !socket.writable) return;
  const framed = Buffer.allocUnsafe(reply.length + 2);
  framed.writeUInt16BE(reply.length, 0);
  reply.copy(framed, 2);
  socket.write(framed);
}
