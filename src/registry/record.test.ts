import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRecord, encodeRecord, type SkydnsRecord } from './record.js';

function decoded(text: string): SkydnsRecord {
  const result = decodeRecord(text);
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result.record;
}

function rejected(text: string): { field: string; message: string } {
  const result = decodeRecord(text);
  assert.ok(!result.ok, `expected ${text} to be rejected`);
  return result.error;
}

describe('encodeRecord', () => {
  it('writes the DESIGN.md record exactly', () => {
    assert.equal(encodeRecord({ host: '10.0.0.5', port: 8086, ttl: 30 }), '{"host":"10.0.0.5","port":8086,"ttl":30}');
  });

  it('writes fields in one fixed order whatever the input order, leaving out absent and zero values', () => {
    const r: SkydnsRecord = {
      ttl: 30,
      weight: 5,
      group: 'g',
      host: 'node-back-1.example.com',
      port: 8087,
      priority: 10,
      text: 't',
      mail: true,
      targetstrip: 1,
    };
    assert.equal(
      encodeRecord(r),
      '{"host":"node-back-1.example.com","port":8087,"priority":10,"weight":5,"text":"t","mail":true,"ttl":30,"targetstrip":1,"group":"g"}',
    );
    assert.equal(
      encodeRecord({ host: '10.0.0.5', port: 8086, priority: undefined, weight: 0, text: '', mail: false }),
      '{"host":"10.0.0.5","port":8086}',
    );
    assert.equal(encodeRecord({ host: 'fd00::5' }), '{"host":"fd00::5"}');
  });

  it('refuses values DNS servers would misread, naming the field', () => {
    const bad: [SkydnsRecord, string][] = [
      [{ host: '' }, 'host'],
      [{ host: '10.0.0.256' }, 'host'],
      [{ host: 'fe80::1%eth0' }, 'host'],
      [{ host: 'a b' }, 'host'],
      [{ host: '10.0.0.5', port: 65536 }, 'port'],
      [{ host: '10.0.0.5', port: -1 }, 'port'],
      [{ host: '10.0.0.5', port: 80.5 }, 'port'],
      [{ host: '10.0.0.5', ttl: -1 }, 'ttl'],
      [{ host: '10.0.0.5', priority: 70000 }, 'priority'],
    ];
    for (const [record, field] of bad)
      assert.throws(() => encodeRecord(record), { name: 'RecordError', field }, JSON.stringify(record));
  });
});

describe('decodeRecord', () => {
  it('reads back what encodeRecord writes', () => {
    const r: SkydnsRecord = { host: '10.0.0.5', port: 8086, priority: 10, weight: 5, ttl: 30 };
    assert.deepEqual(decoded(encodeRecord(r)), r);
  });

  it('reads records as registrator and SkyDNS users write them', () => {
    assert.deepEqual(decoded('{"host":"10.0.0.5","port":8086}'), { host: '10.0.0.5', port: 8086 });
    assert.deepEqual(decoded('{"Host":"10.0.0.5","PORT":8086,"extra":[1]}'), { host: '10.0.0.5', port: 8086 });
    assert.deepEqual(decoded('{"host":"10.0.0.5","port":0,"priority":null,"text":""}'), { host: '10.0.0.5' });
    assert.deepEqual(decoded('{"host":"db.example.com.","ttl":60}'), { host: 'db.example.com.', ttl: 60 });
  });

  it('reads a record with text and no host: a TXT record, as CoreDNS and SkyDNS serve it', () => {
    assert.deepEqual(decoded('{"text":"v=spf1 -all"}'), { text: 'v=spf1 -all' });
    assert.deepEqual(decoded('{"host":"","text":"t","ttl":60}'), { text: 't', ttl: 60 });
    assert.equal(encodeRecord({ text: 'v=spf1 -all', ttl: 60 }), '{"text":"v=spf1 -all","ttl":60}');
  });

  it('returns a typed error, never throws, for records DNS skips', () => {
    const cases: [string, string][] = [
      ['not json', 'record'],
      ['[1]', 'record'],
      ['null', 'record'],
      ['"10.0.0.5"', 'record'],
      ['{}', 'host'],
      ['{"host":""}', 'host'],
      ['{"text":""}', 'host'],
      ['{"port":8086,"ttl":30}', 'host'],
      ['{"text":5}', 'text'],
      ['{"host":5}', 'host'],
      ['{"host":"-bad-.example.com"}', 'host'],
      ['{"host":"10.0.0.5","port":"8086"}', 'port'],
      ['{"host":"10.0.0.5","port":70000}', 'port'],
      ['{"host":"10.0.0.5","mail":"yes"}', 'mail'],
      ['{"host":"10.0.0.5","ttl":1.5}', 'ttl'],
    ];
    for (const [text, field] of cases) assert.equal(rejected(text).field, field, text);
    assert.equal(
      rejected('{"port":8086}').message,
      'host: is required, unless the record has text (a TXT record) (got nothing)',
    );
    assert.match(
      rejected('{"host":"10.0.0.5","port":70000}').message,
      /port: must be an integer from 0 to 65535 \(got 70000\)/,
    );
  });
});
