/**
 * A fast encoder for the responses this server builds, with name compression (RFC 1035 4.1.4) and truncation in
 * one pass. dns-packet never compresses and costs most of a query's CPU time; this writes into one reused buffer.
 * Anything it does not know (a record type it never builds, EDNS options) makes it return undefined, and the caller
 * falls back to dns-packet (truncate.ts): never a wrong packet, at worst a slower one.
 */
import type { Answer, Packet, Question } from 'dns-packet';
import { ipv4, ipv6, NoRoom, Unsupported, UNSUPPORTED, Writer } from './message-writer.js';
import { FLAG_QR, FLAG_TC } from './wire.js';

/** Type codes of the records written here, and of the question types echoed back (others fall back). */
const TYPES: Readonly<Record<string, number>> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  DS: 43,
  SSHFP: 44,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  TLSA: 52,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
};
const CLASSES: Readonly<Record<string, number>> = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 };
const OPT_BYTES = 11;

/**
 * `packet` encoded in at most `limit` bytes, or undefined when it holds something this encoder does not write.
 * Answers that do not fit are dropped from the first one that does not, with TC=1 (and no authority records);
 * additional records that do not fit are left out without TC (RFC 2181 9); an OPT record always stays.
 */
export function encodeResponse(packet: Packet, limit: number): Buffer | undefined {
  try {
    return encode(packet, limit);
  } catch (error) {
    if (error instanceof Unsupported || error instanceof NoRoom) return undefined;
    throw error;
  }
}

function encode(packet: Packet, limit: number): Buffer {
  const additionals = packet.additionals ?? [];
  const opt = additionals.find((r) => r.type === 'OPT');
  const w = new Writer(Math.min(limit, 65535) - (opt === undefined ? 0 : OPT_BYTES));
  w.offset = 12;
  for (const q of packet.questions ?? []) question(w, q);
  const answers = section(w, packet.answers ?? [], true);
  const truncated = answers < (packet.answers ?? []).length;
  const authorities = truncated ? 0 : section(w, packet.authorities ?? [], true);
  const cut = truncated || authorities < (packet.authorities ?? []).length;
  const extra = cut
    ? 0
    : section(
        w,
        additionals.filter((r) => r.type !== 'OPT'),
        false,
      );
  w.limit += opt === undefined ? 0 : OPT_BYTES;
  if (opt !== undefined) record(w, opt);
  w.patchU16(0, packet.id ?? 0);
  w.patchU16(2, ((packet.flags ?? 0) & 0x7fff) | (packet.type === 'query' ? 0 : FLAG_QR) | (cut ? FLAG_TC : 0));
  w.patchU16(4, (packet.questions ?? []).length);
  w.patchU16(6, answers);
  w.patchU16(8, authorities);
  w.patchU16(10, extra + (opt === undefined ? 0 : 1));
  return w.copy();
}

function question(w: Writer, q: Question): void {
  w.name(q.name, true);
  w.u16(codeOf(q.type, TYPES));
  w.u16(codeOf(q.class ?? 'IN', CLASSES));
}

/** Writes records until one does not fit; returns how many were written. */
function section(w: Writer, records: readonly Answer[], stopAtFirstMiss: boolean): number {
  let written = 0;
  for (const r of records) {
    const mark = w.mark();
    try {
      record(w, r);
      written++;
    } catch (error) {
      if (!(error instanceof NoRoom)) throw error;
      w.rollback(mark);
      if (stopAtFirstMiss) break;
    }
  }
  return written;
}

function record(w: Writer, r: Answer): void {
  if (r.type === 'OPT') {
    if (r.options.length > 0) throw UNSUPPORTED;
    w.u8(0);
    w.u16(TYPES.OPT ?? 41);
    w.u16(r.udpPayloadSize);
    w.u32(((r.extendedRcode & 0xff) << 24) | ((r.ednsVersion & 0xff) << 16) | (r.flags & 0xffff));
    return w.u16(0);
  }
  w.name(r.name, true);
  w.u16(codeOf(r.type, TYPES));
  w.u16(codeOf(r.class ?? 'IN', CLASSES));
  w.u32(r.ttl ?? 0);
  w.u16(0);
  const start = w.offset;
  rdata(w, r);
  w.patchU16(start - 2, w.offset - start);
}

function rdata(w: Writer, r: Answer): void {
  switch (r.type) {
    case 'A':
      return ipv4(w, r.data);
    case 'AAAA':
      return ipv6(w, r.data);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return w.name(r.data, true);
    case 'MX':
      w.u16(r.data.preference ?? 0);
      return w.name(r.data.exchange, true);
    case 'SRV':
      w.u16(r.data.priority ?? 0);
      w.u16(r.data.weight ?? 0);
      w.u16(r.data.port);
      // RFC 2782: the target is never compressed (later names may still point into it).
      return w.name(r.data.target, false);
    case 'TXT':
      for (const s of Array.isArray(r.data) ? r.data : [r.data]) w.characterString(s);
      return;
    case 'HINFO':
      w.characterString(r.data.cpu);
      return w.characterString(r.data.os);
    case 'SOA':
      w.name(r.data.mname, true);
      w.name(r.data.rname, true);
      for (const v of [r.data.serial, r.data.refresh, r.data.retry, r.data.expire, r.data.minimum]) w.u32(v ?? 0);
      return;
    default:
      throw UNSUPPORTED;
  }
}

function codeOf(name: string, table: Readonly<Record<string, number>>): number {
  const known = table[name];
  if (known !== undefined) return known;
  const unknown = /^UNKNOWN_(\d+)$/.exec(name)?.[1];
  if (unknown === undefined) throw UNSUPPORTED;
  return Number(unknown);
}
