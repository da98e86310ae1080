import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { converge } from '../deploy/converge.js';
import { prepareService } from '../deploy/prepare.js';
import { checkRoutes } from '../deploy/route-conflicts.js';
import type { ServiceSpec, State } from '../service-spec/schema.js';
import { ValidationError } from '../shared/errors.js';
import { bareService, validateService } from '../service-spec/validate.js';
import { STATE_SUMMARIES } from './commands.js';
import { AGENT_HELP, type GlobalOptions } from './context.js';
import { deployContext, WAIT_HELP } from './deploy-context.js';
import { describeGap, describeResult, numeric, timeoutMs } from './describe.js';
import { recordOutcome, withRollbackHint } from './history-store.js';
import { makeOutput } from './output.js';

const VERBS: Record<State, keyof typeof STATE_SUMMARIES> = {
  enabled: 'enable',
  present: 'present',
  disabled: 'disable',
  absent: 'absent',
};

/** What --timeout bounds, per command: only `enable` waits for the service to run. */
const TIMEOUT_HELP: Record<State, string> = {
  enabled:
    'how long to wait for running/healthy, then for the announcement and each gateway (default: from the health check, at least 30)',
  present: 'when it replaces a running container: how long to wait for every gateway to drop it (default 30)',
  disabled: 'when it replaces a running container: how long to wait for every gateway to drop it (default 30)',
  absent: '',
};

/** The flags as commander hands them over. */
interface StateOptions {
  image?: string;
  args?: string;
  cmd?: string;
  env?: string[];
  envFile?: string[];
  announce?: string;
  port?: string;
  announceAs?: string;
  pull?: string;
  restart?: string;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  probe?: string;
  probeInterval?: string;
  probeTimeout?: string;
  restartUnhealthy?: string;
  route?: string[];
  stripPrefix?: boolean;
  timeout?: string;
  drain?: string;
  agent?: string;
  dryRun?: boolean;
  wait?: boolean;
}

/** The flags that make up a spec: with none of them, `enable NAME` starts the container as it is. */
const SPEC_FLAGS = [
  'image',
  'args',
  'cmd',
  'env',
  'envFile',
  'announce',
  'port',
  'announceAs',
  'pull',
  'restart',
  'healthCmd',
  'healthInterval',
  'healthTimeout',
  'healthRetries',
  'healthStartPeriod',
  'probe',
  'probeInterval',
  'probeTimeout',
  'restartUnhealthy',
  'route',
  'stripPrefix',
] as const satisfies readonly (keyof StateOptions)[];

/** Registers `rundock enable|present|disable|absent NAME [options]`. */
export function registerStateCommands(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  // In the order `rundock --help` lists them (commands.ts).
  for (const state of ['enabled', 'present', 'disabled', 'absent'] as const) {
    const verb = VERBS[state];
    const cmd = program.command(`${verb} <name>`).description(STATE_SUMMARIES[verb]);
    if (state !== 'absent') addSpecOptions(cmd, state);
    cmd.option('--dry-run', 'show what would change (and which fields differ) and change nothing');
    cmd.option('--agent <addr:port>', AGENT_HELP);
    cmd.option('--wait', WAIT_HELP);
    cmd.action((name: string, opts: StateOptions) =>
      run(() => stateCommand(state, name, opts, program.opts<GlobalOptions>())),
    );
  }
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function addSpecOptions(cmd: Command, state: State): void {
  cmd
    .option('--image <ref>', 'Docker image reference')
    .option('--args <string>', 'extra docker run options, tokenised without a shell ($PRIVATE_IP, $PUBLIC_IP expanded)')
    .option('--cmd <string>', 'the command the container runs (words split like a shell, without one)')
    .option(
      '-e, --env <KEY[=VALUE]>',
      'environment variable; KEY alone takes its value from here (repeatable)',
      collect,
    )
    .option(
      '--env-file <file>',
      'read environment variables from a file in docker run --env-file format (repeatable)',
      collect,
    )
    .option('--announce <port|auto>', 'host port to publish and announce; auto: Docker picks a free one (needs --port)')
    .option('--port <port>', 'container port (default: announce)')
    .addOption(
      new Option('--announce-as <where>', 'address to publish and announce on').choices([
        'private',
        'public',
        'container',
      ]),
    )
    .addOption(
      new Option('--pull <policy>', 'when to pull the image (default missing)').choices(['always', 'missing', 'never']),
    )
    .option('--restart <policy>', 'restart policy: no, always, unless-stopped (default), on-failure[:N]')
    .option('--health-cmd <cmd>', 'health check command, run in the container by Docker')
    .option('--health-interval <duration>', 'time between health checks (e.g. 5s)')
    .option('--health-timeout <duration>', 'time a health check may take')
    .option('--health-retries <n>', 'failures before unhealthy')
    .option('--health-start-period <duration>', 'grace period before failures count')
    .option('--probe <check>', 'health probe run by the agent when the image has no HEALTHCHECK: tcp or http:/path')
    .option('--probe-interval <duration>', 'time between probes (default 5s)')
    .option('--probe-timeout <duration>', 'time a probe may take (default 2s)')
    .option(
      '--restart-unhealthy <n>',
      'the agent restarts the container after N failed checks in a row (health check or probe), with backoff',
    )
    .option(
      '--route <host[/path]>',
      'serve the service at this public hostname (and path prefix) on every gateway, HTTPS where it has a certificate (repeatable)',
      collect,
    )
    .option('--strip-prefix', "remove the route's path prefix before proxying (HOST/api/x reaches the service as /x)")
    .option('--timeout <seconds>', TIMEOUT_HELP[state])
    .option(
      '--drain <duration>',
      'on a redeploy, how long the old container finishes requests in flight once every gateway dropped it (default 5s)',
    );
}

/** Maps flags onto the spec's keys, keeping values as given so validation can name them. */
export function specFromFlags(state: State, name: string, o: StateOptions): Record<string, unknown> {
  const raw: Record<string, unknown> = {
    name,
    state,
    image: o.image,
    args: o.args,
    cmd: o.cmd,
    // Resolved now: the spec is kept in the history and a rollback may run from another directory.
    env_file: o.envFile?.map((file) => resolve(file)),
    env: o.env,
    announce: numeric(o.announce),
    port: numeric(o.port),
    announce_as: o.announceAs,
    pull: o.pull,
    restart: o.restart,
    drain: o.drain,
    restart_unhealthy: numeric(o.restartUnhealthy),
    route: o.route,
    strip_prefix: o.stripPrefix,
  };
  if (o.healthCmd !== undefined) {
    raw.health = {
      cmd: o.healthCmd,
      interval: o.healthInterval,
      timeout: o.healthTimeout,
      retries: numeric(o.healthRetries),
      start_period: o.healthStartPeriod,
    };
  }
  if (o.probe !== undefined) raw.probe = { check: o.probe, interval: o.probeInterval, timeout: o.probeTimeout };
  return JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
}

/**
 * The spec the command line gives. Without any spec flag, the service as it is: `enable NAME` starts its container
 * with the spec it carries, `present`/`disable NAME` stop it. With some, the flags are the whole spec, image included.
 */
export function specOf(state: State, name: string, o: StateOptions): Readonly<ServiceSpec> {
  if (state === 'absent' || SPEC_FLAGS.every((flag) => o[flag] === undefined)) return bareService(name, state);
  if (o.image === undefined && (state === 'enabled' || state === 'present')) {
    throw new ValidationError(
      'image',
      undefined,
      `is required with spec options: they replace the container's whole spec (without any, \`rundock ${VERBS[state]} ${name}\` acts on the container as it is)`,
    );
  }
  return validateService(specFromFlags(state, name, o));
}

async function stateCommand(state: State, name: string, o: StateOptions, global: GlobalOptions): Promise<number> {
  const spec = specOf(state, name, o);
  const ctx = await deployContext(o.agent, global, o.dryRun ?? false, {
    wait: o.wait,
    command: `rundock ${VERBS[state]} ${name}`,
  });
  await ctx.lock([name]);
  const prepared = prepareService(spec, ctx.host, timeoutMs(o.timeout));
  await checkRoutes([{ spec }], ctx.agent?.base);
  const result = await converge(ctx.docker, prepared, {
    dryRun: o.dryRun,
    reporter: ctx.progress,
    onPull: ctx.progress.pull(spec.image ?? ''),
    handover: ctx.handover,
    onGap: (gap) => ctx.note(describeGap(name, gap, o.dryRun ?? false)),
  }).catch((error: unknown) => {
    recordOutcome(ctx.history, spec, { error, specHash: prepared.desired?.hash });
    throw withRollbackHint(error, ctx.history, name);
  });
  const warning = recordOutcome(ctx.history, spec, { result });
  makeOutput(global.json ?? false).print(`${describeResult(result)}${warning ? `\n${warning}` : ''}`, result);
  return 0;
}
