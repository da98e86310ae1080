/**
 * DNS header constants and the few replies built from raw bytes (when dns-packet cannot decode a request, the
 * header alone still lets the client match a FORMERR to its query).
 */
import type { Answer, OptAnswer } from 'dns-packet';

/** Response codes (RFC 1035, 6891). BADVERS is an extended code: its upper bits travel in the OPT record. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;
/** The name metrics and logs use for a response code. */
export const RCODE_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(RCODE).map(([name, code]) => [code, name]),
);

/** Header flag bits (RFC 1035 4.1.1; CD from RFC 4035). */
export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_CD = 0x0010;
const HEADER_BYTES = 12;

/** The opcode (4 bits) of a header's flags; 0 is QUERY. */
export function opcodeOf(flags: number): number {
  return (flags >> 11) & 0xf;
}

/**
 * Flags of a response to a request with `requestFlags`: opcode, RD and CD copied (RFC 1035, 4035), RA never set
 * (this server is authoritative; forwarded answers carry the upstream's own flags).
 */
export function responseFlags(requestFlags: number, rcode: number, authoritative: boolean): number {
  return (requestFlags & 0x7800) | (authoritative ? FLAG_AA : 0) | (requestFlags & (FLAG_RD | FLAG_CD)) | (rcode & 0xf);
}

/** True for a buffer with a full header whose QR bit says "query": the only kind worth an error reply. */
export function isQueryHeader(raw: Buffer): boolean {
  return raw.length >= HEADER_BYTES && ((raw[2] ?? 0) & 0x80) === 0;
}

/** A 12-byte reply to `raw`'s header: same id, opcode, RD and CD; no sections. For requests that do not decode. */
export function headerOnlyReply(raw: Buffer, rcode: number): Buffer {
  const reply = Buffer.alloc(HEADER_BYTES);
  raw.copy(reply, 0, 0, 2);
  reply.writeUInt16BE(FLAG_QR | responseFlags(raw.readUInt16BE(2), rcode, false), 2);
  return reply;
}

/** The response id of `reply` set to `id`, in place (forwarded answers go back under the client's id). */
export function setId(reply: Buffer, id: number): Buffer {
  reply.writeUInt16BE(id, 0);
  return reply;
}

/** Narrows an answer record to the OPT pseudo-record. */
export function isOpt(record: Answer): record is OptAnswer {
  return record.type === 'OPT';
}

/**
 * The offset just past the first question of a raw message (its name, type and class), or -1 when the name does
 * not parse as plain labels (a compression pointer there is legal, but no real client sends one).
 */
export function questionEnd(raw: Buffer): number {
  let at = HEADER_BYTES;
  while (at < raw.length) {
    const length = raw.readUInt8(at);
    if (length === 0) return at + 5 <= raw.length ? at + 5 : -1;
    if (length > 63) return -1;
    at += length + 1;
  }
  return -1;
}

/**
 * True when a label of the first question's name holds a dot byte (`dig 'a\.b.example.com'`). dns-packet decodes
 * such a name to the same string as the name with one more label, so it can be neither matched nor echoed.
 */
export function questionHasDottedLabel(raw: Buffer): boolean {
  let at = HEADER_BYTES;
  while (at < raw.length) {
    const length = raw.readUInt8(at);
    if (length === 0 || length > 63) return false;
    const dot = raw.indexOf(0x2e, at + 1);
    if (dot !== -1 && dot <= at + length) return true;
    at += length + 1;
  }
  return false;
}
