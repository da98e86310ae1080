import type { Command } from 'commander';
import { decodeHostRecord, type HostRecord } from '../registry/host-record.js';
import { localAgent } from '../deploy/handover.js';
import { HOSTS_PREFIX } from '../registry/path.js';
import { ValidationError } from '../shared/errors.js';
import { LABEL } from '../service-spec/labels.js';
import {
  DEFAULT_STATUS_LISTEN,
  agentListen,
  configOf,
  dockerRuntime,
  hostContext,
  type GlobalOptions,
} from './context.js';
import { addEtcdOptions, etcdConnection, type EtcdFlags } from './etcd-flags.js';
import { makeOutput } from './output.js';
import { formatTable, psTable, serviceRow } from './ps-row.js';

export type { ServiceRow } from './ps-row.js';

interface PsOptions extends EtcdFlags {
  all?: boolean;
  agent?: string;
}

export function registerPs(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const command = program
    .command('ps')
    .description(
      'list the services on this host: state, health, restarts, published address, and whether (and why not) the agent announces them',
    )
    .option(
      '--agent <addr:port>',
      `the local agent's status address, for ANNOUNCED (default ${DEFAULT_STATUS_LISTEN}; env RUNDOCK_AGENT, or status_listen in the config file)`,
    )
    .option('--all', "every host's services, from the registry's host records (needs --etcd)");
  addEtcdOptions(command, 'etcd endpoints, comma separated, for --all').action((opts: PsOptions) =>
    run(() => (opts.all ? psAll(opts, program.opts<GlobalOptions>()) : ps(opts, program.opts<GlobalOptions>()))),
  );
}

async function ps(opts: PsOptions, global: GlobalOptions): Promise<number> {
  const docker = dockerRuntime();
  const [listed, agent] = await Promise.all([docker.list(LABEL.service), localAgent(agentListen(opts.agent, global))]);
  const containers = listed.filter((c) => c.name === c.labels[LABEL.service]);
  const view = agent && new Map(agent.status.services.filter((s) => s.successor !== true).map((s) => [s.service, s]));
  const addresses = agent?.status.addresses ?? hostContext(global).addresses;
  const rows = await Promise.all(
    containers.map(async (c) =>
      serviceRow(c, await docker.inspect(c.id), addresses, view && { status: view.get(c.name) }),
    ),
  );
  rows.sort((a, b) => a.name.localeCompare(b.name));
  makeOutput(global.json ?? false).print(psTable(rows), { services: rows });
  return 0;
}

/** `ps --all`: every host's services from the host records agents keep in etcd. */
async function psAll(opts: PsOptions, global: GlobalOptions): Promise<number> {
  const connection = etcdConnection(opts, configOf(global));
  if (connection === undefined)
    throw new ValidationError(
      'etcd',
      undefined,
      'is required with --all (--etcd, RUNDOCK_ETCD or etcd in the config file)',
    );
  const { EtcdRegistry } = await import('../registry/etcd.js');
  const registry = new EtcdRegistry(connection);
  try {
    // A record that is not a host record (another version's, a hand-written key) is left out, not a crash.
    const hosts = [...(await registry.list(HOSTS_PREFIX)).values()]
      .map(decodeHostRecord)
      .filter((h): h is HostRecord => h !== undefined)
      .sort((a, b) => a.host.localeCompare(b.host));
    const lines = hosts.flatMap((h) =>
      h.services.map((s) => [
        h.host,
        s.service,
        s.announced ? 'yes' : 'no',
        s.address ?? '-',
        s.routes?.join(',') ?? '-',
        s.reason,
      ]),
    );
    const header = ['HOST', 'SERVICE', 'ANNOUNCED', 'ADDRESS', 'ROUTES', 'REASON'];
    makeOutput(global.json ?? false).print(formatTable(header, lines), {
      hosts,
    });
  } finally {
    await registry.close();
  }
  return 0;
}
