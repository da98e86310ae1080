import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { withConfigSection } from './config-flags.js';

/** A command with the shapes of flags gateway and dns have: defaulted, optional, repeatable, comma-separated. */
function parse(argv: string[]): { flags: Record<string, unknown>; command: Command } {
  const command = new Command('x')
    .exitOverride()
    .option('--file <name>', '', 'rundock-upstreams.conf')
    .option('--nginx-conf-dir <dir>')
    .option('--upstream <s>', '', (value: string, previous: string[]) => [...previous, value], [])
    .option('--dns-rate-limit <n>')
    .option('--dns-rate-limit-exempt <prefixes>');
  command.parse(argv, { from: 'user' });
  return { flags: command.opts(), command };
}

describe('flags completed from the config file', () => {
  it('a flag given wins; else the config key; else the default', () => {
    const section = { file: 'from-config.conf', nginx_conf_dir: '/etc/nginx/rundock', upstream: ['grafana=g'] };
    const bare = parse([]);
    assert.deepEqual(
      withConfigSection(bare.flags, (k) => bare.command.getOptionValueSource(k), section),
      { file: 'from-config.conf', nginxConfDir: '/etc/nginx/rundock', upstream: ['grafana=g'] },
    );
    const given = parse(['--file', 'flag.conf', '--upstream', 'web']);
    assert.deepEqual(
      withConfigSection(given.flags, (k) => given.command.getOptionValueSource(k), section),
      {
        file: 'flag.conf',
        nginxConfDir: '/etc/nginx/rundock',
        upstream: ['web'],
      },
    );
    assert.deepEqual(
      withConfigSection(bare.flags, () => undefined, undefined),
      { file: 'rundock-upstreams.conf', upstream: [] },
    );
  });

  it('gives config values the shape of the flag: numbers as text, lists joined for a comma-separated flag', () => {
    const { flags, command } = parse([]);
    const section = { dns_rate_limit: 0, dns_rate_limit_exempt: ['10.0.0.0/8', '::1'] };
    assert.deepEqual(
      withConfigSection(flags, (k) => command.getOptionValueSource(k), section),
      {
        file: 'rundock-upstreams.conf',
        upstream: [],
        dnsRateLimit: '0',
        dnsRateLimitExempt: '10.0.0.0/8,::1',
      },
    );
  });
});
