/** What the answer tests share: the zone of the examples, its SOA, and queries and responses as dns-packet shapes. */
import type { Answer, Packet, Question } from 'dns-packet';
import type { AnswerSettings } from './answer.js';
import { ZoneIndex } from './zone-index.js';

export const D = 's.prod.example.com';
export const settings: AnswerSettings = { defaultTtl: 60, serial: 42 };
export const AA = 0x0400;
export const RD = 0x0100;
export const SOA: Answer = {
  name: D,
  type: 'SOA',
  ttl: 30,
  data: {
    mname: `ns.dns.${D}`,
    rname: `hostmaster.${D}`,
    serial: 42,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: 30,
  },
};

export function zone(records: Record<string, object>): ZoneIndex {
  const index = new ZoneIndex(D);
  for (const [path, value] of Object.entries(records))
    index.put(`/skydns/com/example/prod/s/${path}`, JSON.stringify(value));
  return index;
}

export function query(name: string, type: string, extra: Partial<Packet> = {}): Packet {
  return { type: 'query', id: 4242, flags: RD, questions: [{ name, type, class: 'IN' } as Question], ...extra };
}

export function response(q: Packet, rcode: number, sections: Partial<Packet>, authoritative = true): Packet {
  return {
    type: 'response',
    id: 4242,
    flags: (authoritative ? AA : 0) | RD | rcode,
    questions: q.questions ?? [],
    answers: [],
    authorities: [],
    additionals: [],
    ...sections,
  };
}
