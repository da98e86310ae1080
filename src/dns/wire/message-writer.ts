/**
 * The byte writer under encode.ts: one reused 64 KiB buffer, bounds checked against a limit, with DNS name
 * compression (RFC 1035 4.1.4) and roll-back of a record that does not fit.
 */

/** Compression pointers have 14 bits of offset. */
const MAX_POINTER = 0x3fff;

/** Thrown (one instance, no stack) when a record does not fit: the record is rolled back. */
export class NoRoom extends Error {}
const NO_ROOM = new NoRoom('no room');
/** Thrown for something this encoder does not write: the caller falls back to dns-packet. */
export class Unsupported extends Error {}
export const UNSUPPORTED = new Unsupported('unsupported');

/** One reused scratch buffer: encoding is synchronous, and the result is copied out. */
const scratch = Buffer.allocUnsafe(65535);

/** Writes one message into the shared buffer; `limit` bounds it. */
export class Writer {
  offset = 0;
  private readonly names = new Map<string, number>();
  private added: string[] = [];

  constructor(public limit: number) {}

  ensure(bytes: number): void {
    if (this.offset + bytes > this.limit) throw NO_ROOM;
  }
  u8(value: number): void {
    this.ensure(1);
    scratch[this.offset++] = value & 0xff;
  }
  u16(value: number): void {
    this.ensure(2);
    scratch.writeUInt16BE(value & 0xffff, this.offset);
    this.offset += 2;
  }
  u32(value: number): void {
    this.ensure(4);
    scratch.writeUInt32BE(value >>> 0, this.offset);
    this.offset += 4;
  }
  /** Starts a record: what `rollback` returns to. */
  mark(): number {
    this.added = [];
    return this.offset;
  }
  rollback(mark: number): void {
    this.offset = mark;
    // Names registered inside the dropped record must not be pointed at by later ones.
    for (const name of this.added) this.names.delete(name);
  }
  /** A domain name, pointing at an earlier copy of its longest known suffix when `compress` allows. */
  name(name: string, compress: boolean): void {
    let rest = name.endsWith('.') ? name.slice(0, -1) : name;
    while (rest.length > 0) {
      const earlier = compress ? this.names.get(rest) : undefined;
      if (earlier !== undefined) return this.u16(0xc000 | earlier);
      if (this.offset <= MAX_POINTER && !this.names.has(rest)) {
        this.names.set(rest, this.offset);
        this.added.push(rest);
      }
      const dot = rest.indexOf('.');
      this.label(dot < 0 ? rest : rest.slice(0, dot));
      rest = dot < 0 ? '' : rest.slice(dot + 1);
    }
    this.u8(0);
  }
  label(text: string): void {
    const length = text.length;
    if (length === 0 || length > 63) throw UNSUPPORTED;
    this.ensure(length + 1);
    const at = this.offset;
    // Byte by byte: for labels this short a JS loop beats a call into Buffer.write; non-ASCII takes the slow path.
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f) return this.utf8Label(text);
      scratch[at + 1 + i] = code;
    }
    scratch[at] = length;
    this.offset += length + 1;
  }
  private utf8Label(text: string): void {
    const length = Buffer.byteLength(text);
    if (length > 63) throw UNSUPPORTED;
    this.ensure(length + 1);
    scratch[this.offset] = length;
    scratch.write(text, this.offset + 1, 'utf8');
    this.offset += length + 1;
  }
  characterString(text: string | Buffer): void {
    const bytes = typeof text === 'string' ? Buffer.from(text) : text;
    if (bytes.length > 255) throw UNSUPPORTED;
    this.u8(bytes.length);
    this.ensure(bytes.length);
    bytes.copy(scratch, this.offset);
    this.offset += bytes.length;
  }
  /** Overwrites two bytes already written (a count or an RDLENGTH known only afterwards). */
  patchU16(at: number, value: number): void {
    scratch.writeUInt16BE(value & 0xffff, at);
  }
  /** A copy of the bytes written so far: the buffer is reused by the next message. */
  copy(): Buffer {
    const out = Buffer.allocUnsafe(this.offset);
    scratch.copy(out, 0, 0, this.offset);
    return out;
  }
}

/** Writes a dotted IPv4 address in its 4 bytes. */
export function ipv4(w: Writer, address: string): void {
  w.ensure(4);
  let value = 0;
  let octets = 0;
  for (let i = 0; i <= address.length; i++) {
    const code = i === address.length ? 0x2e : address.charCodeAt(i);
    if (code === 0x2e) {
      if (octets === 4 || value > 255) throw UNSUPPORTED;
      w.u8(value);
      octets++;
      value = 0;
    } else if (code >= 0x30 && code <= 0x39) value = value * 10 + code - 0x30;
    else throw UNSUPPORTED;
  }
  if (octets !== 4) throw UNSUPPORTED;
}

/** Writes an IPv6 address in its 16 bytes: `::` expanded, a trailing dotted IPv4 part accepted. */
export function ipv6(w: Writer, address: string): void {
  const [head = '', tail, extra] = address.split('::');
  if (extra !== undefined) throw UNSUPPORTED;
  const groups = (text: string): number[] => (text === '' ? [] : text.split(':').flatMap(group));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const zeros = 8 - left.length - right.length;
  if (zeros < 0 || (tail === undefined && zeros !== 0)) throw UNSUPPORTED;
  for (const g of [...left, ...new Array<number>(zeros).fill(0), ...right]) w.u16(g);
}

function group(text: string): number[] {
  if (!text.includes('.')) return [parseInt(text, 16)];
  const [a = 0, b = 0, c = 0, d = 0] = text.split('.').map(Number);
  return [(a << 8) | b, (c << 8) | d];
}
