/**
 * `rundock withdraw`: the explicit withdrawal of everything this host's agent announced, for a host being retired or
 * taken down for maintenance. An agent stopped (SIGTERM) leaves its records for the next one to take over; this
 * deletes them: with etcd, the lease the agent left (its state directory's `etcd-lease.json`) is taken over and
 * revoked, with every record on it; with the embedded registry, its file is emptied. Refused while an agent runs on
 * this Docker engine: it would announce them again (stop it with `--withdraw-on-exit` instead).
 */
import type { Command } from 'commander';
import { EmbeddedRegistry } from '../registry/embedded.js';
import type { Registry } from '../registry/registry.js';
import { loadHostConfig } from '../shared/config.js';
import { RundockError } from '../shared/errors.js';
import { dockerRuntime, hostContext, type GlobalOptions } from './context.js';
import { addEtcdOptions, etcdConnection, type EtcdFlags } from './etcd-flags.js';
import { describeHolder, runningAgent } from './locks.js';
import { makeOutput } from './output.js';

interface WithdrawFlags extends EtcdFlags {
  stateDir?: string;
  hostname?: string;
}

/** What a withdrawal did, as `--json` prints it. */
interface Withdrawn {
  registry: 'etcd' | 'embedded';
  /** Records deleted. */
  withdrawn: number;
  /** The lease revoked (etcd), if one was alive. */
  lease: string | null;
  /** Where the agent's state was read. */
  state_dir: string;
}

export function registerWithdraw(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  addEtcdOptions(
    program
      .command('withdraw')
      .description(
        "withdraw every record this host's stopped agent left in the registry (etcd: its lease revoked; embedded: its file emptied)",
      ),
    'etcd endpoints, comma separated (default: the embedded registry)',
  )
    .option(
      '--state-dir <dir>',
      "the agent's state directory (default: state_dir in the config file, /var/lib/rundock)",
    )
    .option('--hostname <name>', "the agent's host name (default: hostname in the config file, the system's)")
    .action((flags: WithdrawFlags) => run(() => withdraw(flags, program.opts<GlobalOptions>())));
}

async function withdraw(flags: WithdrawFlags, global: GlobalOptions): Promise<number> {
  const config = loadHostConfig(global.config);
  const stateDir = flags.stateDir ?? config.state_dir ?? '/var/lib/rundock';
  const host = flags.hostname ?? hostContext(global).name;
  const etcd = etcdConnection(flags, config);
  await refuseWhileAgentRuns();
  const done: Withdrawn =
    etcd === undefined
      ? await withdrawFrom(new EmbeddedRegistry({ stateDir }), 'embedded', stateDir)
      : await withdrawFromEtcd(etcd, stateDir, host);
  const what = `${done.withdrawn} ${done.withdrawn === 1 ? 'record' : 'records'}`;
  const lease = done.lease === null ? '' : ` (lease ${done.lease} revoked)`;
  makeOutput(global.json ?? false).print(`withdrew ${what} of ${host} from ${done.registry}${lease}`, done);
  return 0;
}

/** RUNDOCK_E_AGENT_RUNNING while an agent runs on this engine: it would put the records back at once. */
async function refuseWhileAgentRuns(): Promise<void> {
  const docker = dockerRuntime();
  const holder = await runningAgent(docker);
  if (holder === undefined) return;
  throw new RundockError(
    'RUNDOCK_E_AGENT_RUNNING',
    `an agent runs on this Docker engine (${docker.endpoint}): ${describeHolder(holder)}; it would announce everything again: stop it first, or stop it with --withdraw-on-exit`,
    { details: { holder } },
  );
}

async function withdrawFromEtcd(
  etcd: NonNullable<ReturnType<typeof etcdConnection>>,
  stateDir: string,
  host: string,
): Promise<Withdrawn> {
  const [{ EtcdRegistry }, { LeaseFile }] = await Promise.all([
    import('../registry/etcd.js'),
    import('../registry/lease-file.js'),
  ]);
  const leaseFile = new LeaseFile(stateDir, host);
  const saved = leaseFile.read();
  let taken: { lease: string; records: number } | undefined;
  const registry = new EtcdRegistry({
    ...etcd,
    ...(saved && { ttlSeconds: saved.ttl }),
    leaseFile,
    listener: { leaseTakenOver: (lease, records) => (taken = { lease, records }) },
  });
  await withdrawFrom(registry, 'etcd', stateDir);
  return { registry: 'etcd', withdrawn: taken?.records ?? 0, lease: taken?.lease ?? null, state_dir: stateDir };
}

/** Withdraws everything `registry` holds of this host, then closes it. */
async function withdrawFrom(registry: Registry, kind: 'etcd' | 'embedded', stateDir: string): Promise<Withdrawn> {
  try {
    const before = kind === 'embedded' ? (await registry.list('')).size : 0;
    await registry.withdrawAll();
    return { registry: kind, withdrawn: before, lease: null, state_dir: stateDir };
  } finally {
    await registry.close();
  }
}
