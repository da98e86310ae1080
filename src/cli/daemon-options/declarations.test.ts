/**
 * The daemons' option declarations against what else names their options: the commands' flags, the config file's
 * schema (shared/config.ts, config-sections.ts) and the option tables of docs/cli.md and docs/gateway.md.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import type * as z from 'zod/mini';
import { hostConfigSchema } from '../../shared/config.js';
import { dnsConfigSchema, gatewayConfigSchema } from '../../shared/config-sections.js';
import { registerAgent } from '../agent.js';
import { registerDns } from '../dns.js';
import { registerGateway } from '../gateway.js';
import { AGENT_UI_OPTIONS, registerUi, UI_OPTIONS } from '../ui.js';
import { AGENT_OPTIONS } from './agent.js';
import type { Declarations, OptionDeclaration } from './declare.js';
import { DNS_OPTIONS } from './dns.js';
import { GATEWAY_OPTIONS } from './gateway.js';
import { GATEWAY_RENDER_OPTIONS } from './gateway-render.js';
import { PUBLIC_ZONE_OPTIONS } from './public-zone.js';
import { RATE_LIMIT_OPTIONS } from './rate-limit.js';

/** The etcd connection's flags and keys: etcd-flags.ts, documented in docs/cli.md's "etcd connection". */
const ETCD_FLAGS = ['etcd', 'etcd-cacert', 'etcd-cert', 'etcd-key', 'etcd-user', 'etcd-password-file'];
const ETCD_KEYS = ETCD_FLAGS.map(snake);

/** Each daemon's declarations, and where its options are documented. */
const DAEMONS = {
  agent: {
    groups: [AGENT_OPTIONS, RATE_LIMIT_OPTIONS, PUBLIC_ZONE_OPTIONS, GATEWAY_RENDER_OPTIONS, AGENT_UI_OPTIONS],
    docs: ['docs/cli.md', '## agent'],
  },
  dns: { groups: [DNS_OPTIONS, RATE_LIMIT_OPTIONS, PUBLIC_ZONE_OPTIONS], docs: ['docs/cli.md', '## dns'] },
  gateway: { groups: [GATEWAY_OPTIONS, GATEWAY_RENDER_OPTIONS], docs: ['docs/gateway.md', '## Synopsis'] },
  ui: { groups: [UI_OPTIONS], docs: ['docs/cli.md', '## ui'] },
} as const;

type Daemon = keyof typeof DAEMONS;

function snake(flag: string): string {
  return flag.replaceAll('-', '_');
}

function declared(daemon: Daemon): Map<string, OptionDeclaration> {
  return new Map(DAEMONS[daemon].groups.flatMap((group: Declarations) => Object.entries(group)));
}

/** The long flags of the command as the CLI registers it. */
function commandFlags(daemon: Daemon): string[] {
  const program = new Command();
  const run = async (): Promise<void> => undefined;
  ({ agent: registerAgent, dns: registerDns, gateway: registerGateway, ui: registerUi })[daemon](program, run);
  const command = program.commands.find((c) => c.name() === daemon);
  return (command?.options ?? []).map((option) => (option.long ?? '').replace(/^--/, ''));
}

/** The section of a docs page from `heading` to the next heading of its level. */
function docSection(file: string, heading: string): string {
  const text = readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `${file} has no "${heading}"`);
  const end = text.indexOf('\n## ', start + heading.length + 2);
  return text.slice(start, end < 0 ? undefined : end);
}

interface Row {
  readonly flags: string[];
  readonly cells: string[];
  readonly line: string;
}

/** The option table's rows: those whose first cell names flags. */
function optionRows(section: string): Row[] {
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `--'))
    .map((line) => {
      const cells = line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim());
      const flags = [...(cells[0] ?? '').matchAll(/`--([a-z0-9-]+)/g)].map((m) => m[1] ?? '');
      return { flags, cells, line };
    });
}

const backticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');

describe('option declarations', () => {
  for (const daemon of Object.keys(DAEMONS) as Daemon[]) {
    it(`are the flags of rundock ${daemon} (with the etcd connection's)`, () => {
      const expected = [...ETCD_FLAGS, ...declared(daemon).keys()].sort();
      assert.deepEqual([...new Set(commandFlags(daemon))].sort(), expected);
    });
  }

  it("are the config file's top-level keys, but for the host's addresses, the etcd connection and the sections", () => {
    const keys = new Set(
      (Object.keys(DAEMONS) as Daemon[]).flatMap((daemon) =>
        [...declared(daemon).values()].flatMap((d) =>
          d.config === undefined || d.config.includes('.') ? [] : [d.config],
        ),
      ),
    );
    const others = Object.keys(hostConfigSchema.shape).filter((key) => !keys.has(key));
    assert.deepEqual(
      others.sort(),
      ['dns', ...ETCD_KEYS, 'gateway', 'private_iface', 'private_ip', 'public_iface', 'public_ip'].sort(),
    );
    for (const key of keys) assert.ok(key in hostConfigSchema.shape, `${key} is not a config key`);
  });

  for (const [daemon, schema] of [
    ['dns', dnsConfigSchema],
    ['gateway', gatewayConfigSchema],
  ] as const) {
    it(`are the keys of the config file's ${daemon}: section (flag names with _), with the etcd credentials`, () => {
      const sectionKeys = [...declared(daemon)]
        .filter(([, d]) => d.config === undefined || d.config.startsWith(`${daemon}.`))
        .map(([flag]) => snake(flag));
      const expected = [...ETCD_KEYS.filter((key) => key !== 'etcd'), ...sectionKeys].sort();
      assert.deepEqual(Object.keys(schema.shape).sort(), expected);
    });
  }

  it('take in the config file what their flags take: a list, a switch, their default', () => {
    for (const daemon of Object.keys(DAEMONS) as Daemon[])
      for (const [flag, d] of declared(daemon)) {
        const key = configKey(daemon, flag, d);
        if (key === undefined) continue;
        const sample =
          d.repeatable === true ? ['x'] : d.value === undefined ? true : d.default && configValue(d.default);
        if (sample === undefined) continue;
        const result = configSchemaOf(key).safeParse(sample);
        assert.ok(result.success, `${daemon} --${flag}: config key ${key} rejects ${JSON.stringify(sample)}`);
      }
  });
});

describe("docs' option tables", () => {
  for (const daemon of Object.keys(DAEMONS) as Daemon[]) {
    const [file, heading] = DAEMONS[daemon].docs;
    it(`name rundock ${daemon}'s declared options, with their defaults (${file})`, () => {
      const options = declared(daemon);
      const rows = optionRows(docSection(file, heading));
      for (const row of rows)
        for (const flag of row.flags)
          assert.ok(options.has(flag) || ETCD_FLAGS.includes(flag), `${file} documents --${flag}, not an option`);
      // A flag is documented in its row, or in another's (`--metrics-listen`, `--status-listen`'s older name).
      const documented = new Set(rows.flatMap((row) => [...row.line.matchAll(/`--([a-z0-9-]+)/g)].map((m) => m[1])));
      // The agent's table refers to the gateway's for the rendering options (docs/gateway.md).
      const elsewhere = daemon === 'agent' ? Object.keys(GATEWAY_RENDER_OPTIONS).slice(1) : [];
      const synopsis = docSection(file, heading).split('```')[1] ?? '';
      for (const flag of options.keys())
        assert.ok(
          documented.has(flag) || elsewhere.includes(flag) || synopsis.includes(`--${flag} `),
          `--${flag} is not in ${file}'s table`,
        );
      for (const row of rows) checkDefaults(row, options, daemon === 'agent' ? 2 : 1);
    });
  }

  it("give the agent's config keys as declared (docs/cli.md, agent)", () => {
    const options = declared('agent');
    for (const row of optionRows(docSection('docs/cli.md', '## agent'))) {
      if (row.flags.some((flag) => ETCD_FLAGS.includes(flag))) continue;
      const keys = backticked(row.cells[1] ?? '').filter((key) => key !== 'dns:');
      const expected = row.flags.flatMap((flag) => {
        const key = options.get(flag)?.config;
        return key === undefined ? [] : [key.replace(/^dns\./, '')];
      });
      assert.deepEqual(keys, expected, row.line);
    }
  });
});

/** A row's default column names each flag's declared default (one part per flag, or the row's one flag). */
function checkDefaults(row: Row, options: Map<string, OptionDeclaration>, column: number): void {
  const cell = (row.cells[column] ?? '').replaceAll('`', '');
  const parts = row.flags.length === 1 ? [cell] : cell.split(', ');
  if (parts.length !== row.flags.length) return;
  row.flags.forEach((flag, i) => {
    const value = options.get(flag)?.default;
    if (value !== undefined)
      assert.ok(parts[i]?.includes(value), `--${flag}: default ${value}, docs say "${parts[i]}"`);
  });
}

/** The config key an option is read from, if any: its own, or its command's section key. */
function configKey(daemon: Daemon, flag: string, d: OptionDeclaration): string | undefined {
  if (d.config !== undefined) return d.configReadElsewhere === true ? undefined : d.config;
  return daemon === 'dns' || daemon === 'gateway' ? `${daemon}.${snake(flag)}` : undefined;
}

function configSchemaOf(key: string): z.ZodMiniType {
  const [first = '', second] = key.split('.');
  const shapes: Record<string, Record<string, z.ZodMiniType>> = {
    '': hostConfigSchema.shape,
    dns: dnsConfigSchema.shape,
    gateway: gatewayConfigSchema.shape,
  };
  const schema = second === undefined ? shapes['']?.[first] : shapes[first]?.[second];
  assert.ok(schema !== undefined, `${key} is not a config key`);
  return schema;
}

/** A default as the config file writes it: a number for whole numbers, else text. */
function configValue(text: string): string | number {
  return /^[0-9]+$/.test(text) ? Number(text) : text;
}
