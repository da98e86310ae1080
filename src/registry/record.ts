/**
 * Record values: the JSON of SkyDNS's `msg.Service`, as CoreDNS's etcd plugin (plugin/etcd/msg/service.go) reads it.
 * With path.ts, the one owner of the SkyDNS wire format. Documented in docs/records.md.
 */
import { isIP } from 'node:net';
import { RecordError } from './errors.js';

/**
 * One SkyDNS record. Fields and JSON names are msg.Service's; a record has a `host`, or `text` alone (a TXT record,
 * as CoreDNS's etcd plugin and SkyDNS serve it); every other field is optional, and a zero value (0, '', false)
 * means the same as an absent one, as with Go's `omitempty`.
 */
export interface SkydnsRecord {
  /**
   * An IPv4 or IPv6 address (A/AAAA answers), or a host name (answered as a CNAME/SRV target). Absent in a record
   * that carries only `text`.
   */
  host?: string;
  /** Port for SRV answers, 1-65535. */
  port?: number;
  /** SRV priority (MX preference when `mail`), 0-65535. */
  priority?: number;
  /** SRV weight, 0-65535. */
  weight?: number;
  /** TXT content. */
  text?: string;
  /** Answer as an MX record. */
  mail?: boolean;
  /** DNS TTL of answers, seconds (uint32). */
  ttl?: number;
  /** Labels stripped from the left of a synthesized SRV target name. */
  targetstrip?: number;
  /** Only records with the same group are answered together. */
  group?: string;
}

type FieldRule = { kind: 'string' } | { kind: 'boolean' } | { kind: 'int'; min: number; max: number };
type Field = keyof SkydnsRecord;

const uint16: FieldRule = { kind: 'int', min: 0, max: 65535 };
const text: FieldRule = { kind: 'string' };
/** Every field, in the order encodeRecord writes them: msg.Service's declaration order, which Go's encoder uses too. */
const FIELDS: ReadonlyMap<Field, FieldRule> = new Map<Field, FieldRule>([
  ['host', text],
  ['port', uint16],
  ['priority', uint16],
  ['weight', uint16],
  ['text', text],
  ['mail', { kind: 'boolean' }],
  ['ttl', { kind: 'int', min: 0, max: 2 ** 32 - 1 }],
  ['targetstrip', { kind: 'int', min: 0, max: 127 }],
  ['group', text],
]);
const BY_LOWERCASE: ReadonlyMap<string, Field> = new Map([...FIELDS.keys()].map((f) => [f, f]));

const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** Result of decoding a stored value: a record, or why it is skipped. */
export type DecodeResult = { ok: true; record: SkydnsRecord } | { ok: false; error: RecordError };

/**
 * The JSON text of a record: fields in a fixed order (host, port, priority, weight, text, mail, ttl, targetstrip,
 * group), absent and zero-valued fields left out. Equal records always give equal text, so the registry's
 * "unchanged set costs nothing" holds. Throws a RecordError naming the field for a value DNS servers would misread.
 */
export function encodeRecord(record: SkydnsRecord): string {
  const checked = checkRecord(Object.entries(record), false);
  const out: Record<string, unknown> = {};
  for (const field of FIELDS.keys()) if (checked[field] !== undefined) out[field] = checked[field];
  return JSON.stringify(out);
}

/**
 * Reads a stored value as CoreDNS does: JSON object, field names matched case-insensitively (Go's encoding/json),
 * unknown fields and nulls ignored, a wrongly typed field makes the whole record invalid. Never throws: a bad
 * record is returned as an error for the caller (DNS, gateway) to skip and report.
 */
export function decodeRecord(value: string): DecodeResult {
  try {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new RecordError('record', value, `is not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new RecordError('record', value, 'must be a JSON object');
    return { ok: true, record: checkRecord(Object.entries(parsed), true) };
  } catch (error) {
    if (error instanceof RecordError) return { ok: false, error };
    throw error;
  }
}

/**
 * Validates fields (later ones win, as in Go), drops absent and zero values, and requires a valid host, or text in
 * a record without one: CoreDNS includes a record in a TXT answer when it has text, in any other when it has a host
 * (plugin/etcd shouldInclude), so a record with neither answers nothing anywhere.
 */
function checkRecord(entries: [string, unknown][], caseInsensitive: boolean): SkydnsRecord {
  const fields: Partial<Record<Field, unknown>> = {};
  for (const [name, value] of entries) {
    const field = caseInsensitive ? BY_LOWERCASE.get(name.toLowerCase()) : BY_LOWERCASE.get(name);
    const rule = field === undefined ? undefined : FIELDS.get(field);
    if (field === undefined || rule === undefined || value === null || value === undefined) continue;
    checkValue(field, rule, value);
    if (value === 0 || value === '' || value === false) delete fields[field];
    else fields[field] = value;
  }
  if (typeof fields.host === 'string') checkHost(fields.host);
  else if (typeof fields.text !== 'string')
    throw new RecordError('host', fields.host, 'is required, unless the record has text (a TXT record)');
  return fields as SkydnsRecord;
}

function checkValue(field: Field, rule: FieldRule, value: unknown): void {
  if (rule.kind === 'int') {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > rule.max) {
      throw new RecordError(field, value, `must be an integer from ${rule.min} to ${rule.max}`);
    }
  } else if (typeof value !== rule.kind) {
    throw new RecordError(field, value, `must be a ${rule.kind}`);
  }
}

/** An IP address (no zone: Go's ParseIP rejects one) or a host name; DNS servers answer nothing sane for the rest. */
function checkHost(host: string): void {
  if (isIP(host) !== 0 && !host.includes('%')) return;
  const labels = (host.endsWith('.') ? host.slice(0, -1) : host).split('.');
  // An all-numeric last label is a mistyped address (10.0.0.256), never a name: no top-level domain is numeric.
  const numeric = /^[0-9]+$/.test(labels.at(-1) ?? '');
  if (host.length <= 254 && !numeric && labels.every((l) => HOST_LABEL.test(l))) return;
  throw new RecordError('host', host, 'must be an IPv4 or IPv6 address or a host name');
}
