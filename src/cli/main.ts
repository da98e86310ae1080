import { Command, CommanderError } from 'commander';
import { versionText } from '../shared/version.js';
import { registerAgent } from './agent.js';
import { registerApply } from './apply.js';
import { registerDns } from './dns.js';
import { registerGateway } from './gateway.js';
import { registerHistory } from './history.js';
import { registerLogs } from './logs.js';
import { reportError } from './output.js';
import { registerPs } from './ps.js';
import { registerStateCommands } from './state.js';
import { registerUi } from './ui.js';

/** Runs the rundock CLI with `argv` (without node and script) and resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const json = argv.includes('--json');
  const run = async (action: () => Promise<number>): Promise<void> => {
    try {
      exitCode = await action();
    } catch (error) {
      exitCode = reportError(error, json);
    }
  };
  const program = new Command('rundock')
    .description('Docker containers as supervised, discoverable services')
    .version(versionText())
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--config <file>', 'config file (default /etc/rundock/config.yml, or RUNDOCK_CONFIG)')
    .option('--public-ip <ip>', "this host's public address ($PUBLIC_IP)")
    .option('--private-ip <ip>', "this host's private address ($PRIVATE_IP)")
    .option('--public-iface <name>', 'take the public address from this interface')
    .option('--private-iface <name>', 'take the private address from this interface')
    .showHelpAfterError()
    .exitOverride();
  registerStateCommands(program, run);
  registerPs(program, run);
  registerLogs(program, run);
  registerApply(program, run);
  registerHistory(program, run);
  registerAgent(program, run);
  registerDns(program, run);
  registerGateway(program, run);
  registerUi(program, run);
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return 0;
    return reportError(error, json);
  }
  return exitCode;
}
