/**
 * EDNS(0) (RFC 6891): reading the client's OPT record, writing ours, and the UDP size a response must fit in.
 */
import type { OptAnswer, Packet } from 'dns-packet';
import { isOpt } from './wire.js';

/**
 * The UDP payload size this server advertises and the most it sends over UDP: the DNS Flag Day 2020 value, which
 * avoids IP fragmentation on every usual path. A client advertising more still gets at most this much over UDP.
 */
export const EDNS_UDP_SIZE = 1232;
/** What a client without EDNS can receive over UDP (RFC 1035). */
export const CLASSIC_UDP_SIZE = 512;
/** The largest DNS message (TCP's 2-byte length prefix). */
export const MAX_MESSAGE_SIZE = 65535;
const DO_BIT = 0x8000;

/** The client's EDNS state: absent, malformed (FORMERR), or its version, payload size and DO bit. */
export type EdnsRequest =
  { kind: 'none' } | { kind: 'malformed' } | { kind: 'present'; version: number; udpSize: number; dnssecOk: boolean };

/** Reads the OPT record of a request; more than one, or one not owned by the root, is malformed (RFC 6891 6.1.1). */
export function readEdns(request: Packet): EdnsRequest {
  let opt: OptAnswer | undefined;
  for (const record of request.additionals ?? []) {
    if (!isOpt(record)) continue;
    if (opt !== undefined || (record.name !== '.' && record.name !== '')) return { kind: 'malformed' };
    opt = record;
  }
  if (opt === undefined) return { kind: 'none' };
  return {
    kind: 'present',
    version: opt.ednsVersion,
    udpSize: opt.udpPayloadSize,
    dnssecOk: (opt.flags & DO_BIT) !== 0,
  };
}

/** Our OPT record for a response: our payload size, the upper rcode bits, the DO bit echoed (RFC 3225). */
export function responseOpt(edns: EdnsRequest, rcode: number): OptAnswer {
  const dnssecOk = edns.kind === 'present' && edns.dnssecOk;
  return {
    name: '.',
    type: 'OPT',
    udpPayloadSize: EDNS_UDP_SIZE,
    extendedRcode: rcode >> 4,
    ednsVersion: 0,
    flags: dnssecOk ? DO_BIT : 0,
    flag_do: dnssecOk,
    options: [],
  };
}

/**
 * The size a response to `request` must fit in: over TCP the message limit; over UDP the client's advertised size
 * (at least 512, as RFC 6891 says smaller values are treated as 512), capped at EDNS_UDP_SIZE.
 */
export function responseSizeLimit(request: Packet | undefined, transport: 'udp' | 'tcp'): number {
  if (transport === 'tcp') return MAX_MESSAGE_SIZE;
  const edns = request === undefined ? undefined : readEdns(request);
  if (edns?.kind !== 'present') return CLASSIC_UDP_SIZE;
  return Math.min(EDNS_UDP_SIZE, Math.max(CLASSIC_UDP_SIZE, edns.udpSize));
}
