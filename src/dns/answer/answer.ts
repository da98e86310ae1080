/**
 * The answerer: one request in, one response out, from a ZoneIndex and nothing else (no I/O, no clock, no state:
 * the round-robin offset and the SOA serial come in through settings). Behaviour follows CoreDNS's etcd plugin
 * (plugin/etcd/handler.go, plugin/backend_lookup.go); each deviation is said where it is made.
 */
import type { Answer, Packet, Question } from 'dns-packet';
import { addressAnswers, mxAnswers, srvAnswers, ttlOf, txtAnswers, type BuildContext } from './answer-records.js';
import { readEdns, responseOpt, type EdnsRequest } from '../wire/edns.js';
import { applyGroup } from './group.js';
import { opcodeOf, RCODE, responseFlags } from '../wire/wire.js';
import type { ZoneEntry, ZoneIndex } from './zone-index.js';

/** What `answer` needs besides the index and the request. */
export interface AnswerSettings {
  /** TTL of records without their own `ttl`, seconds. */
  defaultTtl: number;
  /** SOA serial, e.g. the etcd revision the index reflects; taken modulo 2^32 (RFC 1982 serial arithmetic). */
  serial: number;
  /** Round-robin offset: A/AAAA/SRV/MX/TXT lists start at record `rotation % n`. Default 0. */
  rotation?: number;
  /** SOA minimum: the TTL of negative answers and of the SOA itself. Default 30 s, CoreDNS's etcd MinTTL. */
  negativeTtl?: number;
  /** Most records one answer considers (a 64 KiB message holds about a thousand). Default 1024. */
  maxRecords?: number;
}

/** SOA timers, CoreDNS's (plugin/backend_lookup.go SOA). SkyDNS 2 used 28800/7200/604800. */
export const SOA_TIMERS = { refresh: 7200, retry: 1800, expire: 86400 } as const;
export const DEFAULT_NEGATIVE_TTL = 30;
export const DEFAULT_MAX_RECORDS = 1024;
/**
 * ANY is answered with one synthesized HINFO "RFC8482" record (RFC 8482 section 4.2), exactly as CoreDNS's `any`
 * plugin does, TTL 8482 included: a constant-size answer, so ANY never amplifies. SkyDNS refused ANY instead.
 */
export const ANY_HINFO: Readonly<{ cpu: string; os: string; ttl: number }> = { cpu: 'RFC8482', os: '', ttl: 8482 };

/** Classes answered: IN, and ANY as IN. Anything else (CHAOS `version.bind`, ...) is refused. */
const CLASSES = new Set(['IN', 'ANY']);

interface Sections {
  rcode: number;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

/**
 * The response to `request` from `index`'s zone: authoritative answers, NXDOMAIN or NODATA with the zone's SOA,
 * REFUSED for a name outside the zone (the server decides about forwarding before calling this), FORMERR, NOTIMP
 * or BADVERS for requests this server cannot take. Names are matched case-insensitively; answers are owned by the
 * question's name as the client spelled it.
 */
export function answer(index: ZoneIndex, request: Packet, settings: AnswerSettings): Packet {
  const edns = readEdns(request);
  const questions = request.questions ?? [];
  const question = questions[0];
  if (edns.kind === 'malformed') return reply(request, { kind: 'none' }, undefined, failure(RCODE.FORMERR), false);
  if (opcodeOf(request.flags ?? 0) !== 0) return reply(request, edns, undefined, failure(RCODE.NOTIMP), false);
  if (question === undefined || questions.length !== 1)
    return reply(request, edns, undefined, failure(RCODE.FORMERR), false);
  if (edns.kind === 'present' && edns.version !== 0)
    return reply(request, edns, question, failure(RCODE.BADVERS), false);
  // Zone transfers are not offered; REFUSED is what an authoritative server answers a transfer it does not allow.
  const refused =
    !CLASSES.has(question.class ?? 'IN') ||
    !index.inZone(question.name) ||
    question.type === 'AXFR' ||
    question.type === 'IXFR';
  if (refused) return reply(request, edns, question, failure(RCODE.REFUSED), false);
  const ctx: BuildContext = {
    index,
    defaultTtl: settings.defaultTtl,
    rotation: settings.rotation ?? 0,
    maxRecords: settings.maxRecords ?? DEFAULT_MAX_RECORDS,
  };
  return reply(request, edns, question, resolve(question, ctx, settings), true);
}

/**
 * A response carrying only the question (and an OPT record when the request had one), for outcomes the server
 * decides itself, such as SERVFAIL when the upstream of a forwarded query does not answer.
 */
export function bareResponse(request: Packet, rcode: number): Packet {
  const edns = readEdns(request);
  const question = request.questions?.length === 1 ? request.questions[0] : undefined;
  return reply(request, edns.kind === 'malformed' ? { kind: 'none' } : edns, question, failure(rcode), false);
}

function resolve(question: Question, ctx: BuildContext, settings: AnswerSettings): Sections {
  const { index } = ctx;
  const found: Sections =
    bare(question.name).toLowerCase() === index.domain
      ? apexAnswers(question, ctx, settings)
      : nameAnswers(question, ctx);
  if (found.answers.length > 0) return found;
  // NXDOMAIN and NODATA alike carry the zone's SOA, whose minimum tells caches how long to remember (RFC 2308).
  return { rcode: found.rcode, answers: [], authorities: [soaRecord(index.domain, index, settings)], additionals: [] };
}

function nameAnswers(question: Question, ctx: BuildContext): Sections {
  const match = ctx.index.find(question.name, ctx.maxRecords);
  if (match === undefined) return { rcode: RCODE.NXDOMAIN, answers: [], authorities: [], additionals: [] };
  const owner = question.name;
  // dns-packet's RecordType has no ANY, though it decodes type 255 as 'ANY'.
  const type: string = question.type;
  const records = applyGroup(eligible(match.records, type));
  switch (type) {
    case 'A':
      return ok(addressAnswers(owner, records, 4, ctx));
    case 'AAAA':
      return ok(addressAnswers(owner, records, 6, ctx));
    case 'SRV':
      return ok(srvAnswers(owner, records, ctx));
    case 'MX':
      return ok(mxAnswers(owner, records, ctx));
    case 'TXT':
      return ok(txtAnswers(owner, records, ctx));
    case 'CNAME':
      return ok(cnameOf(owner, eligible(match.exact, type), ctx));
    case 'ANY':
      return ok(anyAnswer(owner));
    default:
      return ok([]);
  }
}

/**
 * The apex answers SOA, NS (`ns.dns.<domain>`, glue from records at that name) and A/AAAA from `apex.dns.<domain>`
 * (CoreDNS's convention). Other types get NODATA: CoreDNS would answer them with every record of the zone, which
 * for a large zone is an amplifier and never what a client of service records wants.
 */
function apexAnswers(question: Question, ctx: BuildContext, settings: AnswerSettings): Sections {
  const { index } = ctx;
  const owner = question.name;
  const type: string = question.type;
  switch (type) {
    case 'SOA':
      return ok([soaRecord(owner, index, settings)]);
    case 'NS': {
      const ns = `ns.dns.${index.domain}`;
      const glue = index.find(ns, ctx.maxRecords)?.exact ?? [];
      const additionals = [...addressAnswers(ns, glue, 4, ctx), ...addressAnswers(ns, glue, 6, ctx)];
      return ok({ answers: [{ name: owner, type: 'NS', ttl: ctx.defaultTtl, data: ns }], additionals });
    }
    case 'A':
    case 'AAAA': {
      const apex = index.find(`apex.dns.${index.domain}`, ctx.maxRecords);
      return ok(apex === undefined ? [] : addressAnswers(owner, apex.records, type === 'A' ? 4 : 6, ctx));
    }
    case 'ANY':
      return ok(anyAnswer(owner));
    default:
      return ok([]);
  }
}

/**
 * The records a query of `type` considers, before grouping, as CoreDNS's etcd plugin selects them (shouldInclude):
 * for TXT every record with text or a host, for any other type every record with a host. A record with only text
 * takes no part in anything but TXT: not in the group decision, nor in SRV weights.
 */
function eligible(records: readonly ZoneEntry[], type: string): readonly ZoneEntry[] {
  const include = (e: ZoneEntry): boolean =>
    e.record.host !== undefined || (type === 'TXT' && e.record.text !== undefined);
  return records.every(include) ? records : records.filter(include);
}

/**
 * A CNAME query answers only the record exactly at the name, and only when its host is a name (CoreDNS), with text
 * or without.
 */
function cnameOf(owner: string, exact: readonly ZoneEntry[], ctx: BuildContext): Answer[] {
  const entry = exact[0];
  if (entry === undefined || entry.family !== 0 || entry.record.host === undefined) return [];
  return [{ name: owner, type: 'CNAME', ttl: ttlOf(entry, ctx), data: bare(entry.record.host) }];
}

function anyAnswer(owner: string): Answer[] {
  return [{ name: owner, type: 'HINFO', ttl: ANY_HINFO.ttl, data: { cpu: ANY_HINFO.cpu, os: ANY_HINFO.os } }];
}

/** The zone's SOA: mname `ns.dns.<domain>`, rname `hostmaster.<domain>`, as CoreDNS and SkyDNS write it. */
function soaRecord(owner: string, index: ZoneIndex, settings: AnswerSettings): Answer {
  const minimum = settings.negativeTtl ?? DEFAULT_NEGATIVE_TTL;
  const serial = ((Math.trunc(settings.serial) % 2 ** 32) + 2 ** 32) % 2 ** 32;
  const data = { mname: `ns.dns.${index.domain}`, rname: `hostmaster.${index.domain}`, serial, ...SOA_TIMERS, minimum };
  // The SOA's own TTL is its minimum, so that a cached negative answer lives no longer than RFC 2308 allows.
  return { name: owner, type: 'SOA', ttl: minimum, data };
}

function ok(found: Answer[] | { answers: Answer[]; additionals: Answer[] }): Sections {
  if (Array.isArray(found)) return { rcode: RCODE.NOERROR, answers: found, authorities: [], additionals: [] };
  return { rcode: RCODE.NOERROR, answers: found.answers, authorities: [], additionals: found.additionals };
}

function failure(rcode: number): Sections {
  return { rcode, answers: [], authorities: [], additionals: [] };
}

function reply(
  request: Packet,
  edns: EdnsRequest,
  question: Question | undefined,
  s: Sections,
  authoritative: boolean,
): Packet {
  const additionals = edns.kind === 'present' ? [...s.additionals, responseOpt(edns, s.rcode)] : s.additionals;
  return {
    type: 'response',
    id: request.id ?? 0,
    flags: responseFlags(request.flags ?? 0, s.rcode, authoritative),
    questions: question === undefined ? [] : [question],
    answers: s.answers,
    authorities: s.authorities,
    additionals,
  };
}

function bare(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
