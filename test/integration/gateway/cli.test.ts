/**
 * `rundock gateway` flag handling: bad input is a ValidationError naming the flag (exit status 2) and starts
 * nothing. (The command is registered here on its own program; the lead wires it into src/cli/main.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerGateway } from '../../../src/cli/gateway.js';
import { ValidationError } from '../../../src/shared/errors.js';

/** Runs `gateway ARGS...` and returns what its action threw (every case here must throw before starting). */
async function gatewayError(args: readonly string[], config = '/dev/null'): Promise<unknown> {
  let thrown: unknown;
  const program = new Command('rundock').option('--config <file>').exitOverride();
  registerGateway(program, async (action) => {
    try {
      await action();
    } catch (error) {
      thrown = error;
    }
  });
  await program.parseAsync(['--config', config, 'gateway', ...args], { from: 'user' });
  return thrown;
}

const BROKEN_TEMPLATE = join(mkdtempSync(join(tmpdir(), 'rundock-gw-cli-')), 'broken.tmpl');
/** A config file whose gateway section holds every setting, as a service without flags reads it (packaging/). */
const CONFIG = join(dirname(BROKEN_TEMPLATE), 'config.yml');
writeFileSync(
  CONFIG,
  'domain: s.prod.example.com\netcd: http://127.0.0.1:1\ngateway: {nginx_conf_dir: /tmp, route: [grafana], min_wait: 1s}\n',
);
writeFileSync(BROKEN_TEMPLATE, '{{#services}}upstream {{upstream}} {}\n');
after(() => rmSync(dirname(BROKEN_TEMPLATE), { recursive: true, force: true }));

const BASE = ['--etcd', 'http://127.0.0.1:1', '--domain', 's.prod.example.com', '--nginx-conf-dir', '/tmp'];

describe('rundock gateway flags', () => {
  const cases: [string, string[], string][] = [
    ['no domain', ['--etcd', 'http://127.0.0.1:1', '--nginx-conf-dir', '/tmp'], 'domain'],
    ['no etcd', ['--domain', 's.prod.example.com', '--nginx-conf-dir', '/tmp'], 'etcd'],
    ['no conf dir', ['--etcd', 'http://127.0.0.1:1', '--domain', 's.prod.example.com'], 'nginx-conf-dir'],
    ['a missing conf dir', [...BASE.slice(0, 4), '--nginx-conf-dir', '/nonexistent/rundock'], 'nginx-conf-dir'],
    ['a bad upstream option', [...BASE, '--upstream-option', 'grafana:keepalive=lots'], 'upstream-option'],
    ['a bad route', [...BASE, '--route', 'grafana'], 'route'],
    ['a bad reload mode', [...BASE, '--nginx-reload', 'restart'], 'nginx-reload'],
    ['a path as file name', [...BASE, '--file', '../nginx.conf'], 'file'],
    ['max-wait below min-wait', [...BASE, '--min-wait', '2s', '--max-wait', '1s'], 'max-wait'],
    ['a bad duration', [...BASE, '--min-wait', 'soon'], 'min-wait'],
    ['a template that cannot be read', [...BASE, '--template', '/nonexistent/gateway.tmpl'], 'template'],
    ['a template that does not parse', [...BASE, '--template', BROKEN_TEMPLATE], 'template'],
  ];
  for (const [what, args, field] of cases) {
    it(`refuses ${what} (${field}, exit status 2)`, async () => {
      const error = await gatewayError(args);
      assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.equal(error.exitCode, 2);
    });
  }

  it("takes every setting from the config file's gateway section, a flag winning over its key", async () => {
    const fromConfig = await gatewayError([], CONFIG);
    assert.ok(fromConfig instanceof ValidationError && fromConfig.field === 'route', String(fromConfig));
    const flagWins = await gatewayError(['--route', 'grafana.example.com=grafana', '--min-wait', 'soon'], CONFIG);
    assert.ok(flagWins instanceof ValidationError && flagWins.field === 'min-wait', String(flagWins));
  });
});
