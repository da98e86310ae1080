/**
 * The table of rundock's commands: their names and one-line summaries (all `rundock --help` needs), and how to load
 * the module that registers each for real. Kept free of imports so that `--version`, `--help` and every command
 * load only their own code (docs/BENCHMARKS.md, "CLI start"). A unit test holds each summary to the description the
 * command registers.
 */
import type { Command } from 'commander';

/** Registers one or more commands on the program; `run` reports their errors and sets the exit status. */
export type Register = (program: Command, run: (action: () => Promise<number>) => Promise<void>) => void;

export interface CommandEntry {
  /** The command words the module registers. */
  names: readonly string[];
  /** `[usage, summary]` per command, as `rundock --help` lists them. */
  summaries: readonly (readonly [string, string])[];
  load(): Promise<Register>;
}

/** The state commands' summaries, shared with state.ts so they cannot drift. */
export const STATE_SUMMARIES = {
  enable:
    'create or update the service and keep it running (returns once it runs and is healthy); a running container is replaced beside the new one with announce auto, else withdrawn first (a fixed host port: requests to this host fail until the new one serves); without spec options, start the existing container as it is',
  present: 'create or update the service, not running',
  disable: 'stop the service; the container is kept',
  absent: 'remove the container; volumes and data containers are kept',
} as const;

export const COMMANDS: readonly CommandEntry[] = [
  {
    names: ['enable', 'present', 'disable', 'absent'],
    summaries: Object.entries(STATE_SUMMARIES).map(([verb, summary]) => [`${verb} <name>`, summary] as const),
    load: async () => (await import('./state.js')).registerStateCommands,
  },
  {
    names: ['restart'],
    summaries: [
      [
        'restart <name>',
        'stop and start the service, withdrawn from every gateway first (requests to this host fail until it serves again)',
      ],
    ],
    load: async () => (await import('./restart.js')).registerRestart,
  },
  {
    names: ['ps'],
    summaries: [
      [
        'ps',
        'list the services on this host: state, health, restarts, published address, and whether (and why not) the agent announces them',
      ],
    ],
    load: async () => (await import('./ps.js')).registerPs,
  },
  {
    names: ['logs'],
    summaries: [['logs <name>', "print a service's stdout and stderr"]],
    load: async () => (await import('./logs.js')).registerLogs,
  },
  {
    names: ['exec'],
    summaries: [['exec <name> <command...>', "run a command in the service's container"]],
    load: async () => (await import('./exec.js')).registerExec,
  },
  {
    names: ['apply'],
    summaries: [
      [
        'apply <file>',
        'put every service of a YAML file (- for standard input) into its state, in file order (all are validated first)',
      ],
    ],
    load: async () => (await import('./apply.js')).registerApply,
  },
  {
    names: ['history', 'rollback'],
    summaries: [
      ['history <name>', 'the generations of a service on this host: image, image ID, spec hash, when, result'],
      [
        'rollback <name>',
        'deploy the previous generation again as enable does: beside the current one with announce auto, else withdrawn first (a fixed host port: requests to this host fail until it serves)',
      ],
    ],
    load: async () => (await import('./history.js')).registerHistory,
  },
  {
    names: ['agent'],
    summaries: [
      [
        'agent',
        "announce this host's healthy services into the registry (etcd, or embedded without --etcd); runs in the foreground",
      ],
    ],
    load: async () => (await import('./agent.js')).registerAgent,
  },
  {
    names: ['withdraw'],
    summaries: [
      [
        'withdraw',
        "withdraw every record this host's stopped agent left in the registry (etcd: its lease revoked; embedded: its file emptied)",
      ],
    ],
    load: async () => (await import('./withdraw.js')).registerWithdraw,
  },
  {
    names: ['dns'],
    summaries: [
      [
        'dns',
        'serve DNS (A, AAAA, SRV, TXT, SOA, NS) for the domain from etcd, SkyDNS-compatible; runs in the foreground',
      ],
    ],
    load: async () => (await import('./dns.js')).registerDns,
  },
  {
    names: ['gateway'],
    summaries: [
      [
        'gateway',
        'render nginx upstreams (and routes) from the registry; nginx -t, then graceful reload; runs in the foreground',
      ],
    ],
    load: async () => (await import('./gateway.js')).registerGateway,
  },
  {
    names: ['ui'],
    summaries: [
      ['ui', 'serve a read-only live web view of every host and service in the registry; runs in the foreground'],
    ],
    load: async () => (await import('./ui.js')).registerUi,
  },
];
