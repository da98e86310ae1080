import { Command, CommanderError, Help, type Option } from 'commander';
import { versionText } from '../shared/version.js';
import { commandWord } from './command-word.js';
import { COMMANDS, type Register } from './commands.js';
import { loadConfig } from './config-cache.js';
import { reportError } from './output.js';

/** Runs the rundock CLI with `argv` (without node and script) and resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  // Words after `--` belong to a command run in a container (exec), not to rundock.
  const end = argv.indexOf('--');
  const json = (end === -1 ? argv : argv.slice(0, end)).includes('--json');
  const program = new Command('rundock');
  const run = async (action: () => Promise<number>): Promise<void> => {
    try {
      await loadConfig(program.opts<{ config?: string }>());
      exitCode = await action();
    } catch (error) {
      exitCode = reportError(error, json);
    }
  };
  program
    .description('Docker containers as supervised, discoverable services')
    .version(versionText())
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--config <file>', 'config file (default /etc/rundock/config.yml; env RUNDOCK_CONFIG)')
    .option('--public-ip <ip>', "this host's public address ($PUBLIC_IP; env RUNDOCK_PUBLIC_IP)")
    .option('--private-ip <ip>', "this host's private address ($PRIVATE_IP; env RUNDOCK_PRIVATE_IP)")
    .option('--public-iface <name>', 'take the public address from this interface (env RUNDOCK_PUBLIC_IFACE)')
    .option('--private-iface <name>', 'take the private address from this interface (env RUNDOCK_PRIVATE_IFACE)')
    .exitOverride()
    .configureHelp({ optionDescription });
  try {
    await registerCommands(program, commandWord(argv), run);
    // A usage error is reported once, by reportError: one line (with commander's suggestion), no help text.
    const quiet = { writeErr: (text: string) => void process.stderr.write(text), outputError: () => undefined };
    program.configureOutput(quiet);
    for (const command of program.commands) command.exitOverride().configureOutput(quiet);
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return 0;
    return reportError(error, json);
  }
  return exitCode;
}

/**
 * Registers the named command for real and every other one as a name and a summary only, so `rundock --help` lists
 * them all while loading none: a command's code (Docker's client, etcd's, the DNS server...) loads only when it runs.
 */
async function registerCommands(
  program: Command,
  word: string | undefined,
  run: (action: () => Promise<number>) => Promise<void>,
): Promise<void> {
  for (const entry of COMMANDS) {
    if (word !== undefined && entry.names.includes(word)) {
      const register: Register = await entry.load();
      register(program, run);
    } else {
      for (const [name, summary] of entry.summaries) program.command(name).description(summary);
    }
  }
}

/**
 * An option's help text. A repeatable option's empty list is no default worth showing: `(default: [])` beside a
 * description that gives the real default (`--route-listen`: default 80) read as two defaults.
 */
function optionDescription(this: Help, option: Option): string {
  const text = Help.prototype.optionDescription.call(this, option);
  const none = Array.isArray(option.defaultValue) && option.defaultValue.length === 0;
  return none ? text.replace(/ \(default: \[\]\)$/, '') : text;
}
