import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ValidationError, ValidationErrors } from '../../shared/errors.js';
import type { HostContext } from '../../deploy/prepare.js';
import type { HostConfig } from '../../shared/config.js';
import { agentSettings } from './agent.js';
import { dnsSettings } from './dns.js';
import { gatewaySettings } from './gateway.js';

const FILE = '/etc/rundock/config.yml';
const ETCD = { etcd: 'http://127.0.0.1:1' };
const DOMAIN = { domain: 's.prod.example.com' };
/** The defaults commander gives the gateway's rendering flags (cli/gateway.ts). */
const RENDER_DEFAULTS = {
  file: 'rundock-upstreams.conf',
  upstream: [],
  route: [],
  routeListen: [],
  httpsListen: [],
  certificate: [],
  upstreamOption: [],
  nginx: '/usr/sbin/nginx',
  nginxReload: 'signal',
  minWait: '200ms',
  maxWait: '2s',
};
const HOST: HostContext = { name: 'node-1', addresses: { private: '10.0.0.1' }, version: 'test' };

/** Flags as commander hands them over: the given ones are from the command line, the rest are defaults. */
function flagged(
  given: Record<string, unknown>,
  defaults: Record<string, unknown> = {},
): { flags: Record<string, unknown>; sourceOf: (key: string) => string | undefined } {
  const cli = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  return {
    flags: { ...defaults, ...cli },
    sourceOf: (key) => (key in cli ? 'cli' : key in defaults ? 'default' : undefined),
  };
}

const dns = (given: Record<string, unknown>, config: HostConfig = {}): ReturnType<typeof dnsSettings> => {
  const { flags, sourceOf } = flagged({ ...ETCD, ...DOMAIN, ...given });
  return dnsSettings(flags, sourceOf, config, FILE, {});
};
const gateway = (given: Record<string, unknown>, config: HostConfig = {}): ReturnType<typeof gatewaySettings> => {
  const { flags, sourceOf } = flagged({ ...ETCD, ...DOMAIN, nginxConfDir: '/tmp', ...given }, RENDER_DEFAULTS);
  return gatewaySettings(flags, sourceOf, config, FILE, {});
};
const agent = (
  given: Record<string, unknown>,
  config: HostConfig = {},
  host = HOST,
): ReturnType<typeof agentSettings> => {
  const { flags, sourceOf } = flagged({ ...DOMAIN, ...given }, RENDER_DEFAULTS);
  return agentSettings(flags, sourceOf, config, FILE, host, {});
};

/** What `run` threw: a ValidationError (exit status 2) naming `fields`, in order. */
async function refused(run: () => unknown, fields: string[], message?: RegExp): Promise<ValidationError> {
  let thrown: unknown;
  try {
    await run();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof ValidationError, `expected a ValidationError, got ${String(thrown)}`);
  assert.equal(thrown.exitCode, 2);
  assert.deepEqual(
    ValidationErrors.flatten(thrown).map((e) => e.field),
    fields,
  );
  if (message) assert.match(thrown.message, message);
  return thrown;
}

describe('rundock dns options', () => {
  it('refuses the values Number() let through, naming the flag', async () => {
    await refused(() => dns({ workers: '0x4' }), ['workers'], /must be a whole number from 1 to 128 \(got "0x4"\)/);
    await refused(() => dns({ defaultTtl: '' }), ['default-ttl'], /whole number of seconds \(got ""\)/);
    await refused(() => dns({ defaultTtl: '1e3' }), ['default-ttl']);
    await refused(() => dns({ workers: '0' }), ['workers']);
    await refused(() => dns({ workers: '129' }), ['workers']);
    await refused(() => dns({ forward: 'nonsense' }), ['forward'], /must be an IP address with an optional port/);
    await refused(() => dns({ listen: 'nowhere' }), ['listen'], /must be ADDRESS:PORT/);
    await refused(() => dns({ metricsListen: '9477' }), ['metrics-listen']);
    await refused(() => dns({ dnsRateLimit: '-1' }), ['dns-rate-limit']);
    const exempt = await refused(() => dns({ dnsRateLimitExempt: '10.0.0.0/8,bogus' }), ['dns-rate-limit-exempt']);
    assert.equal(exempt.value, 'bogus', 'the bad entry, not the whole list');
  });

  it('reports every bad option at once', async () => {
    await refused(
      () => dns({ workers: '0x4', defaultTtl: '', forward: 'nonsense' }),
      ['forward', 'default-ttl', 'workers'],
    );
  });

  it('requires the domain and etcd, once each', async () => {
    await refused(
      () => dns({ domain: undefined }),
      ['domain'],
      /is required \(--domain or domain in the config file\)/,
    );
    await refused(() => dns({ domain: 'Not A Domain' }), ['domain']);
    await refused(() => dns({ etcd: undefined }), ['etcd'], /rundock agent --dns/);
  });

  it('gives frozen settings with the defaults, --metrics-listen standing in for --status-listen', () => {
    const settings = dns({ metricsListen: '127.0.0.1:9999', forward: '[::1]:53' });
    assert.ok(Object.isFrozen(settings));
    assert.deepEqual(
      { ...settings, etcd: undefined },
      {
        domain: 's.prod.example.com',
        etcd: undefined,
        listen: { host: '127.0.0.1', port: 8053 },
        statusListen: { host: '127.0.0.1', port: 9999 },
        forward: '[::1]:53',
        defaultTtl: 30,
        workers: 1,
        rateLimit: { perSecond: 200, exempt: ['127.0.0.0/8', '::1'] },
        publicZone: undefined,
      },
    );
    assert.deepEqual(dns({ statusListen: '127.0.0.1:1', metricsListen: '127.0.0.1:2' }).statusListen, {
      host: '127.0.0.1',
      port: 1,
    });
    assert.deepEqual(dns({ dnsRateLimitExempt: '' }).rateLimit.exempt, []);
  });

  it("takes the config file's dns section, a flag winning; a bad value there is named by file and key", async () => {
    const config: HostConfig = { domain: 's.x.example.com', dns: { default_ttl: 5, workers: 2, forward: 'nonsense' } };
    const error = await refused(() => dns({ domain: undefined }, config), [`${FILE}: dns.forward`]);
    assert.equal(error.code, 'RUNDOCK_E_CONFIG');
    const settings = dns({ domain: undefined, forward: '10.0.0.53', workers: '3' }, config);
    assert.deepEqual([settings.domain, settings.defaultTtl, settings.workers], ['s.x.example.com', 5, 3]);
  });
});

describe('rundock gateway options', () => {
  it('refuses a lease TTL below 2, from the flag or the config file', async () => {
    await refused(() => gateway({ leaseTtl: '0' }), ['lease-ttl'], /at least 2 \(got "0"\)/);
    await refused(() => gateway({ leaseTtl: '1' }), ['lease-ttl']);
    await refused(() => gateway({ leaseTtl: 'soon' }), ['lease-ttl']);
    assert.equal((await gateway({}, { lease_ttl: 7 })).leaseTtl, 7);
    assert.equal((await gateway({ leaseTtl: '9' }, { lease_ttl: 7 })).leaseTtl, 9);
  });

  it('names the flag of every other bad value', async () => {
    await refused(() => gateway({ nginxConfDir: undefined }), ['nginx-conf-dir'], /is required/);
    await refused(() => gateway({ hostname: 'no_label' }), ['hostname']);
    await refused(() => gateway({ minWait: 'soon' }), ['min-wait']);
    await refused(() => gateway({ minWait: '2s', maxWait: '1s' }), ['max-wait'], /at least --min-wait/);
    await refused(() => gateway({ nginxReload: 'restart' }), ['nginx-reload']);
    await refused(() => gateway({ file: '../nginx.conf' }), ['file']);
    await refused(() => gateway({ statusListen: 'x' }), ['status-listen']);
  });

  it("a bad value from the config file's gateway section names its key", async () => {
    await refused(() => gateway({}, { gateway: { min_wait: 'soon' } }), [`${FILE}: gateway.min_wait`]);
  });

  it('gives frozen settings: durations in ms, the host lowercased, the status listener', async () => {
    const settings = await gateway({ hostname: 'Front-1', minWait: '1s', metricsListen: '127.0.0.1:9000' });
    assert.ok(Object.isFrozen(settings));
    assert.equal(settings.host, 'front-1');
    assert.deepEqual(settings.gateway.debounce, { minQuietMs: 1000, maxWaitMs: 2000 });
    assert.equal(settings.gateway.file, '/tmp/rundock-upstreams.conf');
    assert.deepEqual(settings.statusListen, { host: '127.0.0.1', port: 9000 });
    assert.equal(settings.leaseTtl, 30);
  });
});

describe('etcd credentials of the dns and gateway sections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rundock-daemon-options-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const password = (name: string): string => (writeFileSync(join(dir, name), 'x\n'), join(dir, name));

  it("take a section's etcd_* keys over the top-level ones (the agent's), for that command alone", async () => {
    const config: HostConfig = {
      etcd_user: 'rundock-agent-node-1',
      etcd_password_file: password('agent'),
      dns: { etcd_user: 'rundock-dns-node-1', etcd_password_file: password('dns') },
      gateway: { etcd_user: 'rundock-gateway-node-1', etcd_password_file: password('gateway') },
    };
    assert.deepEqual(dns({}, config).etcd.auth, { user: 'rundock-dns-node-1', passwordFile: join(dir, 'dns') });
    assert.deepEqual((await gateway({}, config)).etcd.auth?.user, 'rundock-gateway-node-1');
    assert.deepEqual((await agent(ETCD, config)).etcd?.auth?.user, 'rundock-agent-node-1');
    await refused(
      () => dns({}, { dns: { etcd_user: 'rundock-dns-node-1' } }),
      ['etcd-password-file'],
      /dns\.etcd_user/,
    );
  });
});

describe('rundock agent options', () => {
  it('refuses a lease TTL below 2 (also with the embedded registry) and other bad numbers', async () => {
    await refused(() => agent({ leaseTtl: '0' }), ['lease-ttl'], /at least 2/);
    await refused(() => agent({ recordTtl: '-1' }), ['record-ttl']);
    await refused(() => agent({ priority: '70000' }), ['priority'], /0\.\.65535/);
    await refused(() => agent({ weight: '0x10' }), ['weight']);
    await refused(() => agent({ stableAfter: '10' }), ['stable-after'], /duration/);
    await refused(() => agent({ resyncInterval: 'often' }), ['resync-interval']);
    await refused(() => agent({ statusListen: 'localhost' }), ['status-listen']);
    await refused(() => agent({ dns: '8053' }), ['dns']);
    await refused(() => agent({ dns: '127.0.0.1:8053', forward: 'nonsense' }), ['forward']);
    await refused(() => agent({ announceSelf: 'WWW' }), ['announce-self']);
    await refused(() => agent({ announceSelf: 'www' }), ['announce-self'], /public address/);
    const frontend = { ...HOST, addresses: { public: '192.0.2.1' } };
    for (const url of ['https://192.0.2.1/', '192.0.2.1:80', 'http://user@192.0.2.1/'])
      await refused(
        () => agent({ announceSelf: 'www', announceSelfCheck: url }, {}, frontend),
        ['announce-self-check'],
      );
    await refused(() => agent({ announceSelfCheck: 'http://192.0.2.1/' }), ['announce-self-check'], /--announce-self/);
    await refused(() => agent({ domain: undefined }), ['domain'], /is required/);
    await refused(() => agent({ nginxConfDir: '/tmp', minWait: 'soon' }), ['min-wait']);
  });

  it('takes top-level config keys where no flag is given; a bad one is named by the file and key', async () => {
    const config: HostConfig = {
      lease_ttl: 15,
      record_ttl: 1,
      stable_after: '1s',
      priority: 5,
      withdraw_on_exit: false,
    };
    const settings = await agent({}, config);
    assert.deepEqual(
      [settings.leaseTtl, settings.recordTtl, settings.stableMs, settings.priority, settings.withdraw],
      [15, 1, 1000, 5, false],
    );
    assert.equal((await agent({ recordTtl: '3' }, config)).recordTtl, 3);
    await refused(() => agent({}, { stable_after: 'soon' }), [`${FILE}: stable_after`]);
  });

  it('gives frozen settings with the defaults', async () => {
    const settings = await agent({ keepRecords: true, dns: '127.0.0.1:8053' });
    assert.ok(Object.isFrozen(settings));
    assert.deepEqual(
      [settings.host, settings.etcd, settings.leaseTtl, settings.recordTtl, settings.stableMs, settings.resyncMs],
      ['node-1', undefined, 30, 10, 10_000, 60_000],
    );
    assert.equal(settings.withdraw, false);
    assert.equal(settings.stateDir, '/var/lib/rundock');
    assert.deepEqual(settings.statusListen, { host: '127.0.0.1', port: 9476 });
    assert.deepEqual(settings.dns, {
      listen: { host: '127.0.0.1', port: 8053 },
      forward: undefined,
      publicZone: undefined,
    });
    assert.equal(settings.gateway, undefined);
    const withGateway = await agent(
      { nginxConfDir: '/tmp', announceSelf: 'www' },
      {},
      {
        ...HOST,
        addresses: { public: '192.0.2.1' },
      },
    );
    assert.equal(withGateway.gateway?.domain, 's.prod.example.com');
    assert.equal(withGateway.announceSelf, 'www');
    assert.equal(withGateway.announceSelfCheck, undefined);
    const checked = await agent(
      { announceSelf: 'www' },
      { announce_self_check: 'http://192.0.2.1:80/' },
      {
        ...HOST,
        addresses: { public: '192.0.2.1' },
      },
    );
    assert.equal(checked.announceSelfCheck?.href, 'http://192.0.2.1/');
  });
});

describe('the public zone options (rundock dns, rundock agent --dns)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rundock-tsig-'));
  const keyFile = join(dir, 'tsig.key');
  const secret = Buffer.alloc(32, 9).toString('base64');
  writeFileSync(keyFile, `key "rundock-public" {\n\talgorithm hmac-sha256;\n\tsecret "${secret}";\n};\n`);
  const given = {
    publicName: ['WWW.example.com.=www', 'example.com=www'],
    updateServer: '192.0.2.53',
    tsigKeyFile: keyFile,
  };

  it('gives the names, the primary (port 53 by default), the key (never its secret) and the TTL (5 s)', () => {
    const zone = dns(given).publicZone;
    assert.deepEqual(zone, {
      names: [
        { name: 'www.example.com', self: 'www' },
        { name: 'example.com', self: 'www' },
      ],
      server: { host: '192.0.2.53', port: 53 },
      key: { file: keyFile, name: 'rundock-public', algorithm: 'hmac-sha256' },
      ttl: 5,
    });
    assert.ok(!JSON.stringify(zone).includes(secret));
  });

  it('refuses a bad name, a missing primary or key, a bad key file, and --workers above 1', async () => {
    await refused(() => dns({ ...given, publicName: ['www.example.com'] }), ['public-name']);
    await refused(() => dns({ ...given, publicName: ['www.example.com=WWW.x'] }), ['public-name']);
    await refused(() => dns({ ...given, publicName: ['a.example=www', 'a.example=web'] }), ['public-name'], /twice/);
    await refused(() => dns({ ...given, updateServer: undefined }), ['update-server'], /required/);
    await refused(() => dns({ ...given, updateServer: 'ns1.example.com' }), ['update-server']);
    await refused(() => dns({ ...given, tsigKeyFile: undefined }), ['tsig-key-file'], /required/);
    await refused(() => dns({ ...given, tsigKeyFile: join(dir, 'missing') }), ['tsig-key-file'], /cannot be read/);
    await refused(() => dns({ updateServer: '192.0.2.53' }), ['update-server'], /needs --public-name/);
    await refused(() => dns({ ...given, workers: '2' }), ['workers'], /must be 1 with --public-name/);
  });

  it("takes the config file's dns section, for rundock dns and the agent's --dns alike", async () => {
    const config: HostConfig = {
      dns: {
        public_name: ['www.example.com=www'],
        update_server: '192.0.2.53:5353',
        tsig_key_file: keyFile,
        public_ttl: 2,
      },
    };
    assert.deepEqual(dns({}, config).publicZone?.server, { host: '192.0.2.53', port: 5353 });
    const withDns = await agent({ dns: '127.0.0.1:8053' }, config);
    assert.equal(withDns.dns?.publicZone?.ttl, 2);
    assert.equal((await agent({}, config)).dns, undefined, 'without --dns the agent updates nothing');
    await refused(() => agent(given), ['public-name'], /needs --dns/);
  });
});
