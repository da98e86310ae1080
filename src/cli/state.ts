import { type Command, Option } from 'commander';
import { converge, type ServiceResult } from '../deploy/converge.js';
import { prepareService } from '../deploy/prepare.js';
import { STATES, type State } from '../spec/schema.js';
import { ValidationError } from '../shared/errors.js';
import { validateService } from '../spec/validate.js';
import { agentHandover } from '../deploy/handover.js';
import { agentAddress, DEFAULT_STATUS_LISTEN, dockerRuntime, hostContext, type GlobalOptions } from './context.js';
import { historyOf, recordOutcome } from './history.js';
import { parseListen } from './listen.js';
import { makeOutput } from './output.js';
import { Progress } from './progress.js';

const STATE_HELP: Record<State, string> = {
  enabled: 'create or update the service and keep it running (returns once it runs and is healthy)',
  present: 'create or update the service, not running',
  disabled: 'stop the service; the container is kept',
  absent: 'remove the container; volumes and data containers are kept',
};

interface StateOptions {
  image?: string;
  args?: string;
  cmd?: string;
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
  timeout?: string;
  drain?: string;
  agent?: string;
  dryRun?: boolean;
}

/** Registers `rundock enable|present|disable|absent NAME [options]`. */
export function registerStateCommands(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  for (const state of STATES) {
    const verb = state === 'enabled' ? 'enable' : state === 'disabled' ? 'disable' : state;
    const cmd = program.command(`${verb} <name>`).description(STATE_HELP[state]);
    if (state !== 'absent') addSpecOptions(cmd);
    cmd.option('--dry-run', 'show what would change and change nothing');
    cmd.option(
      '--agent <addr:port>',
      `the local agent's status address (default ${DEFAULT_STATUS_LISTEN}, or RUNDOCK_AGENT)`,
    );
    cmd.action((name: string, opts: StateOptions) =>
      run(() => stateCommand(state, name, opts, program.opts<GlobalOptions>())),
    );
  }
}

function addSpecOptions(cmd: Command): void {
  cmd
    .option('--image <ref>', 'Docker image reference')
    .option('--args <string>', 'extra docker run options, tokenised without a shell ($PRIVATE_IP, $PUBLIC_IP expanded)')
    .option('--cmd <string>', 'the command the container runs (words split like a shell, without one)')
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
    .option('--timeout <seconds>', 'how long enable waits for running/healthy (default: from the health check)')
    .option(
      '--drain <duration>',
      'after a redeploy, how long the old container finishes requests in flight once every gateway dropped it (default 5s)',
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
    announce: numeric(o.announce),
    port: numeric(o.port),
    announce_as: o.announceAs,
    pull: o.pull,
    restart: o.restart,
    drain: o.drain,
    restart_unhealthy: numeric(o.restartUnhealthy),
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

async function stateCommand(state: State, name: string, o: StateOptions, global: GlobalOptions): Promise<number> {
  const spec = validateService(specFromFlags(state, name, o));
  const prepared = prepareService(spec, hostContext(global), timeoutMs(o.timeout));
  const progress = new Progress(process.stderr, !global.json);
  const history = historyOf(global);
  const result = await converge(dockerRuntime(), prepared, {
    dryRun: o.dryRun,
    reporter: progress,
    onPull: progress.pull(spec.image ?? ''),
    handover: () => agentHandover(parseListen('agent', agentAddress(o.agent, global))),
  }).catch((error: unknown) => {
    recordOutcome(history, spec, { error, specHash: prepared.desired?.hash });
    throw error;
  });
  const warning = recordOutcome(history, spec, { result });
  makeOutput(global.json ?? false).print(
    `${describeResult(result)}${
      warning
        ? `
${warning}`
        : ''
    }`,
    result,
  );
  return 0;
}

/** One human line per service: what changed, or that nothing did. */
export function describeResult(r: ServiceResult): string {
  const where = r.published ? ` at ${r.published.ip}:${r.published.port}` : '';
  const verdict = r.dry_run ? (r.changed ? 'would change' : 'would not change') : r.changed ? 'changed' : 'unchanged';
  const health = r.health ? `, ${r.health}` : '';
  const actions = r.actions.length > 0 && r.changed ? `\n${r.actions.map((a) => `  - ${a}`).join('\n')}` : '';
  return `${r.name}: ${r.state}${where}${health} (${verdict})${actions}`;
}

/** A decimal string becomes a number; anything else stays a string so validation reports it as given. */
export function numeric(value: string | undefined): number | string | undefined {
  return value !== undefined && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

export function timeoutMs(seconds: string | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  const n = Number(seconds);
  if (!(n > 0)) throw new ValidationError('timeout', seconds, 'must be a positive number of seconds');
  return n * 1000;
}
