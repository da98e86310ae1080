/**
 * One raw DNS message in, the bytes to send back out: decode, pick the zone, answer or forward, fit, encode.
 * Shared by the UDP and TCP listeners. It never throws: a bug in answering becomes SERVFAIL and a throttled log line.
 */
import dnsPacket, { type DecodedPacket, type Packet } from 'dns-packet';
import type { Logger } from 'pino';
import { answer, bareResponse } from './answer.js';
import { AnswerCache, type Transport } from './answer-cache.js';
import { responseSizeLimit } from '../wire/edns.js';
import type { Forwarder } from './forward.js';
import type { DnsMetrics } from '../metrics.js';
import { encodeResponse } from '../wire/encode.js';
import { encodeWithin } from '../wire/truncate.js';
import {
  headerOnlyReply,
  isOpt,
  isQueryHeader,
  opcodeOf,
  questionHasDottedLabel,
  RCODE,
  RCODE_NAME,
} from '../wire/wire.js';
import type { ZoneIndex } from './zone-index.js';

/** Bytes to send, nothing (the message is dropped), or a promise of either (a forwarded query). */
export type Reply = Buffer | undefined | Promise<Buffer | undefined>;

/** What the handler answers from. */
export interface QueryHandlerOptions {
  /** The zones served; at least one. */
  zones: readonly ZoneIndex[];
  defaultTtl: number;
  serial: () => number;
  negativeTtl?: number;
  maxRecords?: number;
  forwarder?: Forwarder;
  metrics?: DnsMetrics;
  log: Logger;
}

/**
 * Names dns-packet can write back byte for byte. Others (raw UTF-8, control bytes, a dot inside a label) are answered
 * REFUSED without echoing the question, since re-encoding them would change the question the client asked.
 */
const PRINTABLE = /^[\x21-\x7e]*$/;
const BUG_LOG_INTERVAL_MS = 10_000;

/** Answers raw DNS messages from the zones; keeps the round-robin offset between queries. */
export class QueryHandler {
  private readonly zones: readonly ZoneIndex[];
  private rotation = 0;
  private lastBugLog = 0;
  private readonly cache: AnswerCache;

  constructor(private readonly o: QueryHandlerOptions) {
    if (o.zones.length === 0) throw new Error('the DNS server needs at least one zone');
    // Longest domain first, so that a zone delegated below another one answers for its own names.
    this.zones = [...o.zones].sort((a, b) => b.domain.length - a.domain.length);
    this.cache = new AnswerCache();
  }

  /** The zones' update count: answers computed at one value hold while it stays. */
  private generation(): number {
    let sum = 0;
    for (const zone of this.zones) sum += zone.generation;
    return sum;
  }

  /**
   * Batched UDP's fast path (serve/udp.ts): when the query at `input[start, end)` has a cached answer of at most `room`
   * bytes, writes it into `output` at `at` under the query's id, counts it and returns its length; else returns 0
   * (then handle() it). No object is made: the batch observes the duration of the answers it sends at once.
   */
  replyFromCache(input: Buffer, start: number, end: number, output: Buffer, at: number, room: number): number {
    try {
      const key = this.cache.keyAt(input, start, end, 'udp', this.o.serial(), this.generation());
      const served =
        key === undefined ? undefined : this.cache.serveInto(key, input, start, end, 'udp', output, at, room);
      if (served === undefined) return 0;
      this.o.metrics?.count(served.qtype, RCODE_NAME[served.rcode] ?? 'OTHER');
      return served.length;
    } catch (error) {
      this.reportBug(error);
      return 0;
    }
  }

  /** The reply to one message; never throws. */
  handle(raw: Buffer, transport: Transport): Reply {
    const started = performance.now();
    try {
      return this.dispatch(raw, transport, started);
    } catch (error) {
      this.reportBug(error);
      return isQueryHeader(raw)
        ? this.finish(headerOnlyReply(raw, RCODE.SERVFAIL), 'other', RCODE.SERVFAIL, started)
        : undefined;
    }
  }

  private dispatch(raw: Buffer, transport: Transport, started: number): Reply {
    const serial = this.o.serial();
    const key = this.cache.keyOf(raw, transport, serial, this.generation());
    const cached = key === undefined ? undefined : this.cache.lookup(key, raw, transport, this.rotation);
    if (cached?.bytes !== undefined)
      return this.finish(cached.bytes, cached.answer.qtype, cached.answer.rcode, started);
    const request = decode(raw);
    if (request === undefined) {
      if (!isQueryHeader(raw)) return this.drop('malformed');
      return this.finish(headerOnlyReply(raw, RCODE.FORMERR), 'other', RCODE.FORMERR, started);
    }
    // A response is never answered: answering one can start an endless ping-pong between two servers.
    if (request.flag_qr) return this.drop('response');
    const question = request.questions?.[0];
    const echoable = question === undefined || (PRINTABLE.test(question.name) && !questionHasDottedLabel(raw));
    const zone = question === undefined ? this.zones[0] : echoable ? this.zoneFor(question.name) : undefined;
    if (zone === undefined) {
      const plainQuery = request.questions?.length === 1 && opcodeOf(request.flags ?? 0) === 0;
      if (this.o.forwarder !== undefined && plainQuery) return this.forward(this.o.forwarder, raw, request, started);
      if (!echoable)
        return this.finish(headerOnlyReply(raw, RCODE.REFUSED), question?.type ?? 'other', RCODE.REFUSED, started);
    }
    const rotation = cached?.rotation ?? this.rotation;
    this.rotation = (this.rotation + 1) & 0x3fffffff;
    const settings = {
      defaultTtl: this.o.defaultTtl,
      serial,
      rotation,
      negativeTtl: this.o.negativeTtl,
      maxRecords: this.o.maxRecords,
    };
    const response = answer(zone ?? (this.zones[0] as ZoneIndex), request, settings);
    const limit = responseSizeLimit(request, transport);
    const bytes = encodeResponse(response, limit) ?? encodeWithin(response, limit);
    const result = { qtype: question?.type ?? 'other', rcode: fullRcode(response) };
    if (key !== undefined && cached?.store === true) this.cache.store(key, raw, transport, rotation, bytes, result);
    return this.finish(bytes, result.qtype, result.rcode, started);
  }

  private zoneFor(name: string): ZoneIndex | undefined {
    for (const zone of this.zones) if (zone.inZone(name)) return zone;
    return undefined;
  }

  private async forward(
    forwarder: Forwarder,
    raw: Buffer,
    request: DecodedPacket,
    started: number,
  ): Promise<Buffer | undefined> {
    const qtype = request.questions?.[0]?.type ?? 'other';
    const result = await forwarder.relay(raw);
    this.o.metrics?.forwarded.labels(result.ok ? 'answered' : result.reason).inc();
    if (result.ok) return this.finish(result.reply, qtype, result.reply.readUInt8(3) & 0xf, started);
    return this.finish(dnsPacket.encode(bareResponse(request, RCODE.SERVFAIL)), qtype, RCODE.SERVFAIL, started);
  }

  private finish(bytes: Buffer, qtype: string, rcode: number, started: number): Buffer {
    this.o.metrics?.observe(qtype, RCODE_NAME[rcode] ?? 'OTHER', (performance.now() - started) / 1000);
    return bytes;
  }

  private drop(reason: 'malformed' | 'response'): undefined {
    this.o.metrics?.dropped.labels(reason).inc();
    return undefined;
  }

  /** An exception while answering is a bug: logged, but at most once per interval, so a bad record cannot flood logs. */
  private reportBug(error: unknown): void {
    const now = Date.now();
    if (now - this.lastBugLog < BUG_LOG_INTERVAL_MS) return;
    this.lastBugLog = now;
    this.o.log.error(
      { err: error },
      'answering a DNS query failed; replied SERVFAIL (further failures muted for 10 s)',
    );
  }
}

/** The response code with its extended bits from the OPT record (BADVERS is 16). */
function fullRcode(response: Packet): number {
  const opt = response.additionals?.find(isOpt);
  return ((response.flags ?? 0) & 0xf) | ((opt?.extendedRcode ?? 0) << 4);
}

function decode(raw: Buffer): DecodedPacket | undefined {
  try {
    return dnsPacket.decode(raw);
  } catch {
    return undefined;
  }
}
