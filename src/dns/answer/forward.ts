/**
 * The optional forwarder: relays a query for a name outside the zones to one upstream over UDP and hands back its
 * answer under the client's id. Only the server calls it, only for names it is not authoritative for.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { randomInt } from 'node:crypto';
import { questionEnd, setId } from '../wire/wire.js';

/** Why a relay gave no answer: the upstream did not answer in time, or too many queries are already waiting. */
export type ForwardFailure = 'timeout' | 'overloaded';
/** A relayed answer (the upstream's bytes under the client's id), or why there is none. */
export type ForwardResult = { ok: true; reply: Buffer } | { ok: false; reason: ForwardFailure };

interface Pending {
  clientId: number;
  question: Buffer;
  timer: NodeJS.Timeout;
  settle: (result: ForwardResult) => void;
}

/** Parses `ip:port`, `[ipv6]:port` or a bare IP (port 53) into an address the forwarder can connect to. */
export function parseUpstream(upstream: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(upstream);
  const [host, port] =
    bracketed !== null
      ? [bracketed[1], bracketed[2]]
      : isIP(upstream) === 6
        ? [upstream, undefined]
        : upstream.split(':');
  const number = port === undefined ? 53 : Number(port);
  if (host === undefined || isIP(host) === 0 || !Number.isInteger(number) || number < 1 || number > 65535) {
    throw new Error(
      `forward must be an IP address with an optional port (ip:port, [ipv6]:port), not ${JSON.stringify(upstream)}`,
    );
  }
  return { host, port: number };
}

/**
 * One connected UDP socket to the upstream (the kernel then delivers nothing but the upstream's datagrams to it).
 * Each relayed query gets a fresh random id; an answer is accepted only for a waiting id with the same question
 * bytes, so a stray or spoofed datagram cannot answer someone else's query.
 */
export class Forwarder {
  private readonly pending = new Map<number, Pending>();

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
    private readonly maxPending: number,
  ) {
    socket.on('message', (reply) => this.onReply(reply));
    // ICMP "port unreachable" arrives as an error on a connected socket: the waiting queries simply time out.
    socket.on('error', () => undefined);
  }

  /** Connects to `upstream` (see parseUpstream). */
  static async open(upstream: string, timeoutMs: number, maxPending = 4096): Promise<Forwarder> {
    const { host, port } = parseUpstream(upstream);
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new Forwarder(socket, timeoutMs, maxPending);
  }

  /** Relays `query` (a well-formed query with one question); never rejects. */
  relay(query: Buffer): Promise<ForwardResult> {
    if (this.pending.size >= this.maxPending) return Promise.resolve({ ok: false, reason: 'overloaded' });
    const id = this.freeId();
    const copy = setId(Buffer.from(query), id);
    const end = questionEnd(copy);
    return new Promise((settle) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        settle({ ok: false, reason: 'timeout' });
      }, this.timeoutMs);
      this.pending.set(id, {
        clientId: query.readUInt16BE(0),
        question: copy.subarray(12, end < 0 ? 12 : end),
        timer,
        settle,
      });
      this.socket.send(copy);
    });
  }

  /** Stops: every waiting query times out at once. */
  close(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.settle({ ok: false, reason: 'timeout' });
    }
    this.socket.close();
  }

  private onReply(reply: Buffer): void {
    if (reply.length < 12) return;
    const id = reply.readUInt16BE(0);
    const waiting = this.pending.get(id);
    if (waiting === undefined || !reply.subarray(12, 12 + waiting.question.length).equals(waiting.question)) return;
    clearTimeout(waiting.timer);
    this.pending.delete(id);
    waiting.settle({ ok: true, reply: setId(reply, waiting.clientId) });
  }

  private freeId(): number {
    for (;;) {
      const id = randomInt(0, 65536);
      if (!this.pending.has(id)) return id;
    }
  }
}
