import dnsPacket, { type Packet } from 'dns-packet';
import { FLAG_TC, isOpt } from './wire.js';

/**
 * The wire form of `response` within `limit` bytes. One that fits is encoded as is. Otherwise the additional
 * records go first (the OPT record stays): if every answer then fits, that is the response, without TC, as
 * RFC 2181 9 says extra records never justify it. Else as many answers are kept as fit, and TC=1 sends the
 * client to TCP for the full answer (RFC 1035 4.2.1). The count kept is found by binary search on the encoded
 * length: a thousand-record answer costs a dozen length computations, not a thousand.
 */
export function encodeWithin(response: Packet, limit: number): Buffer {
  const full = dnsPacket.encode(response);
  if (full.length <= limit) return full;
  const answers = response.answers ?? [];
  const lean: Packet = { ...response, additionals: (response.additionals ?? []).filter(isOpt) };
  if (dnsPacket.encodingLength(lean) <= limit) return dnsPacket.encode(lean);
  const truncated: Packet = { ...lean, flags: (response.flags ?? 0) | FLAG_TC, authorities: [] };
  const sized = (count: number): Packet => ({ ...truncated, answers: answers.slice(0, count) });
  let fits = 0;
  let over = answers.length;
  while (over - fits > 1) {
    const middle = (fits + over) >> 1;
    if (dnsPacket.encodingLength(sized(middle)) <= limit) fits = middle;
    else over = middle;
  }
  return dnsPacket.encode(sized(fits));
}
