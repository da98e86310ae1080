/**
 * DNS clients for the DNS integration tests and benchmarks: dns-packet over node:dgram / node:net, and dig
 * (bind9-dnsutils) run as a child process with an argument array. Loopback only; every wait is bounded.
 */
import { execFile } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer, type RecordType } from 'dns-packet';

export const LOOPBACK = '127.0.0.1';
export const DIG = process.env.RUNDOCK_TEST_DIG ?? '/usr/bin/dig';

/** Response codes by number, as dig prints them. */
export const RCODES: Readonly<Record<number, string>> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
};

/** A decoded reply with the bits tests look at. */
export interface Reply {
  raw: Buffer;
  packet: DecodedPacket;
  /** Response code (the 4 header bits; extended bits are in the OPT record). */
  rcode: string;
  tc: boolean;
  aa: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  opt: OptAnswer | undefined;
}

export interface QueryOptions {
  id?: number;
  /** Add an OPT record with this UDP payload size (EDNS0). */
  edns?: number;
  /** Set the DO bit in the OPT record. */
  dnssecOk?: boolean;
  /** Raw question type number, for types dns-packet has no name for (`UNKNOWN_n` also works). */
  type?: string;
  class?: 'IN' | 'CH' | 'ANY';
}

/** The wire form of a query for `name`/`type`. */
export function queryBytes(name: string, type: string, o: QueryOptions = {}): Buffer {
  const additionals: Answer[] =
    o.edns === undefined
      ? []
      : [
          {
            name: '.',
            type: 'OPT',
            udpPayloadSize: o.edns,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: o.dnssecOk === true ? 0x8000 : 0,
            flag_do: o.dnssecOk === true,
            options: [],
          },
        ];
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? 0x1234,
    flags: dnsPacket.RECURSION_DESIRED,
    // dns-packet accepts names it has no type for as `UNKNOWN_n`; its types do not say so.
    questions: [{ name, type: type as RecordType, class: o.class ?? 'IN' }],
    additionals,
  });
}

/** Decodes a reply; throws (with the bytes in hex) when it does not decode. */
export function decodeReply(raw: Buffer): Reply {
  let packet: DecodedPacket;
  try {
    packet = dnsPacket.decode(raw);
  } catch (error) {
    throw new Error(
      `reply does not decode (${error instanceof Error ? error.message : String(error)}): ${raw.toString('hex')}`,
    );
  }
  const flags = packet.flags ?? 0;
  const additionals = packet.additionals ?? [];
  return {
    raw,
    packet,
    rcode: RCODES[flags & 0xf] ?? `RCODE${flags & 0xf}`,
    tc: packet.flag_tc,
    aa: packet.flag_aa,
    answers: packet.answers ?? [],
    authorities: packet.authorities ?? [],
    additionals: additionals.filter((r) => r.type !== 'OPT'),
    opt: additionals.find((r): r is OptAnswer => r.type === 'OPT'),
  };
}

/** Sends one datagram from a fresh socket; resolves with the first reply, or undefined after `waitMs`. */
export function udpExchange(port: number, message: Buffer, waitMs = 1000): Promise<Buffer | undefined> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    const done = (reply: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), waitMs);
    socket.on('message', (reply) => done(reply));
    socket.on('error', () => done(undefined));
    socket.send(message, port, LOOPBACK);
  });
}

/** A query over UDP, decoded; throws when there is no reply within `waitMs`. */
export async function udpQuery(
  port: number,
  name: string,
  type: string,
  o: QueryOptions & { waitMs?: number } = {},
): Promise<Reply> {
  const reply = await udpExchange(port, queryBytes(name, type, o), o.waitMs ?? 1000);
  if (reply === undefined) throw new Error(`no UDP reply from 127.0.0.1:${port} to ${name} ${type}`);
  return decodeReply(reply);
}

/** A reusable UDP socket for tight query loops (one socket, replies matched by id). */
export class UdpClient {
  private readonly socket: UdpSocket = createSocket('udp4');
  private readonly waiting = new Map<number, (reply: Buffer) => void>();
  private nextId = 1;

  /** `from`: the local address to send from (any 127.0.0.0/8 address is this host's). */
  constructor(
    private readonly port: number,
    from?: string,
  ) {
    if (from !== undefined) this.socket.bind({ address: from, port: 0 });
    this.socket.on('message', (reply) => {
      if (reply.length < 2) return;
      const settle = this.waiting.get(reply.readUInt16BE(0));
      if (settle !== undefined) settle(reply);
    });
    this.socket.on('error', () => undefined);
  }

  /** One query; undefined after `waitMs` without its reply. */
  exchange(message: Buffer, waitMs = 500): Promise<Buffer | undefined> {
    const id = message.readUInt16BE(0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, waitMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(reply);
      });
      this.socket.send(message, this.port, LOOPBACK);
    });
  }

  async query(name: string, type: string, o: QueryOptions & { waitMs?: number } = {}): Promise<Reply | undefined> {
    this.nextId = (this.nextId % 0xffff) + 1;
    const raw = await this.exchange(queryBytes(name, type, { ...o, id: this.nextId }), o.waitMs);
    return raw === undefined ? undefined : decodeReply(raw);
  }

  /** Sends bytes without waiting for anything (fuzzing). */
  send(message: Buffer): void {
    this.socket.send(message, this.port, LOOPBACK);
  }

  /** Every datagram received, for callers that count them (fuzzing). */
  onMessage(listener: (reply: Buffer) => void): void {
    this.socket.on('message', listener);
  }

  close(): void {
    this.socket.close();
  }
}

/** Frames messages for DNS over TCP (2-byte length prefix). */
export function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(message.length + 2);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}

/**
 * Writes `bytes` on a fresh TCP connection and collects the framed replies until `expect` of them arrived, the
 * server closed the connection, or `waitMs` passed. Resolves with the replies and whether the server closed.
 */
export function tcpExchange(
  port: number,
  bytes: Buffer,
  expect: number,
  waitMs = 2000,
): Promise<{ replies: Buffer[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, LOOPBACK);
    const replies: Buffer[] = [];
    let buffered = Buffer.alloc(0);
    let settled = false;
    const done = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ replies, closed });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the server closed is a close; a refused connection is a failure of the test.
      if (error.code === 'ECONNREFUSED') {
        clearTimeout(timer);
        settled = true;
        reject(error);
      } else done(true);
    });
    socket.on('close', () => done(true));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        replies.push(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
      }
      if (replies.length >= expect) done(false);
    });
    socket.on('connect', () => socket.write(bytes));
  });
}

/** A query over TCP, decoded. */
export async function tcpQuery(port: number, name: string, type: string, o: QueryOptions = {}): Promise<Reply> {
  const { replies } = await tcpExchange(port, frame(queryBytes(name, type, o)), 1);
  const reply = replies[0];
  if (reply === undefined) throw new Error(`no TCP reply from 127.0.0.1:${port} to ${name} ${type}`);
  return decodeReply(reply);
}

/** One resource record as dig prints it. */
export interface DigRecord {
  name: string;
  ttl: number;
  class: string;
  type: string;
  /** The rest of the line (rdata), single spaces. */
  data: string;
}

/** What dig printed, parsed. */
export interface DigResult {
  stdout: string;
  status: string;
  flags: string[];
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  /** The EDNS line of the OPT pseudo-section (`version: 0, flags:; udp: 1232`), if any. */
  edns: string | undefined;
}

/** Runs `dig @127.0.0.1 -p PORT ARGS...` (no shell) and parses its output. */
export function dig(port: number, args: readonly string[], timeoutMs = 10_000): Promise<DigResult> {
  const argv = [`@${LOOPBACK}`, '-p', String(port), '+time=2', '+tries=1', ...args];
  return new Promise((resolve, reject) => {
    execFile(DIG, argv, { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && stdout.length === 0) {
        reject(new Error(`dig ${argv.join(' ')} failed: ${error.message}\n${stderr}`));
        return;
      }
      resolve(parseDig(stdout));
    });
  });
}

/** Parses dig's default output format (header, flags, OPT pseudo-section, sections). */
export function parseDig(stdout: string): DigResult {
  const result: DigResult = {
    stdout,
    status: '',
    flags: [],
    answer: [],
    authority: [],
    additional: [],
    edns: undefined,
  };
  let section: 'answer' | 'authority' | 'additional' | undefined;
  for (const line of stdout.split('\n')) {
    const status = /status: ([A-Z]+)/.exec(line);
    if (status?.[1] !== undefined && result.status === '') result.status = status[1];
    const flags = /^;; flags: ([^;]*);/.exec(line);
    if (flags?.[1] !== undefined && result.flags.length === 0) result.flags = flags[1].trim().split(/\s+/);
    const edns = /^; EDNS: (.*)$/.exec(line);
    if (edns?.[1] !== undefined) result.edns = edns[1];
    if (line.startsWith(';; ANSWER SECTION:')) section = 'answer';
    else if (line.startsWith(';; AUTHORITY SECTION:')) section = 'authority';
    else if (line.startsWith(';; ADDITIONAL SECTION:')) section = 'additional';
    else if (line.trim() === '' || line.startsWith(';')) {
      if (line.trim() === '') section = undefined;
    } else if (section !== undefined) {
      const [name = '', ttl = '0', klass = '', type = '', ...data] = line.trim().split(/\s+/);
      result[section].push({ name, ttl: Number(ttl), class: klass, type, data: data.join(' ') });
    }
  }
  return result;
}

/** The data of every record of `type` in a dig section. */
export function dataOf(records: readonly DigRecord[], type: string): string[] {
  return records.filter((r) => r.type === type).map((r) => r.data);
}

/** The addresses of the A/AAAA answers of a dns-packet reply, in order. */
export function addressesOf(reply: Reply, type: 'A' | 'AAAA' = 'A'): string[] {
  return reply.answers.flatMap((r) => (r.type === type ? [r.data] : []));
}
