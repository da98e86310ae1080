import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { DaemonInput } from './config-flags.js';

/** A command with the shapes of flags gateway and dns have: defaulted, optional, repeatable, comma-separated. */
function parse(argv: string[]): { flags: Record<string, unknown>; command: Command } {
  const command = new Command('x')
    .exitOverride()
    .option('--file <name>', '', 'rundock-upstreams.conf')
    .option('--nginx-conf-dir <dir>')
    .option('--upstream <s>', '', (value: string, previous: string[]) => [...previous, value], [])
    .option('--dns-rate-limit <n>')
    .option('--dns-rate-limit-exempt <prefixes>')
    .option('--lease-ttl <seconds>');
  command.parse(argv, { from: 'user' });
  return { flags: command.opts(), command };
}

const FILE = '/etc/rundock/config.yml';
const inputOf = (argv: string[], section?: Record<string, unknown>, topLevel = {}): DaemonInput => {
  const { flags, command } = parse(argv);
  return DaemonInput.of(flags, (k) => command.getOptionValueSource(k), {
    file: FILE,
    section: { name: 'gateway', values: section },
    topLevel,
  });
};

describe('flags completed from the config file', () => {
  it('a flag given wins; else the config key; else the default', () => {
    const section = { file: 'from-config.conf', nginx_conf_dir: '/etc/nginx/rundock', upstream: ['grafana=g'] };
    assert.deepEqual(inputOf([], section).values, {
      file: 'from-config.conf',
      'nginx-conf-dir': '/etc/nginx/rundock',
      upstream: ['grafana=g'],
    });
    assert.deepEqual(inputOf(['--file', 'flag.conf', '--upstream', 'web'], section).values, {
      file: 'flag.conf',
      'nginx-conf-dir': '/etc/nginx/rundock',
      upstream: ['web'],
    });
    assert.deepEqual(inputOf([], undefined).values, { file: 'rundock-upstreams.conf', upstream: [] });
  });

  it('gives config values the shape of the flag: numbers as text, lists joined for a comma-separated flag', () => {
    const section = { dns_rate_limit: 0, dns_rate_limit_exempt: ['10.0.0.0/8', '::1'] };
    assert.deepEqual(inputOf([], section).values, {
      file: 'rundock-upstreams.conf',
      upstream: [],
      'dns-rate-limit': '0',
      'dns-rate-limit-exempt': '10.0.0.0/8,::1',
    });
  });

  it("takes a top-level key after the command's section, and names the key a value came from", () => {
    const input = inputOf([], { file: 'x.conf' }, { 'lease-ttl': ['lease_ttl', 15], file: ['file', 'top.conf'] });
    assert.equal(input.values['lease-ttl'], '15');
    assert.equal(input.values.file, 'x.conf', 'the section wins over a top-level key');
    assert.equal(input.error('lease-ttl', 15, 'is bad').field, `${FILE}: lease_ttl`);
    assert.equal(input.error('file', 'x.conf', 'is bad').field, `${FILE}: gateway.file`);
    assert.equal(input.error('file', 'x.conf', 'is bad').code, 'RUNDOCK_E_CONFIG');
    const flagged = inputOf(['--lease-ttl', '9'], {}, { 'lease-ttl': ['lease_ttl', 15] });
    assert.equal(flagged.values['lease-ttl'], '9');
    assert.equal(flagged.error('lease-ttl', '9', 'is bad').field, 'lease-ttl');
  });
});
