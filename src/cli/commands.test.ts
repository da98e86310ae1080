import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { commandWord } from './command-word.js';
import { COMMANDS } from './commands.js';

describe('the command table', () => {
  it('finds the command word past the global options and their values', () => {
    assert.equal(commandWord(['--json', '--private-ip', '10.0.0.2', 'enable', 'web']), 'enable');
    assert.equal(commandWord(['--config=/etc/x.yml', 'ps']), 'ps');
    assert.equal(commandWord(['help', 'logs']), 'logs');
    assert.equal(commandWord(['--version']), undefined);
  });

  it('lists each command with the usage and summary its own module registers (so --help loads none)', async () => {
    for (const entry of COMMANDS) {
      const program = new Command('rundock');
      (await entry.load())(program, () => Promise.resolve());
      const registered = program.commands.map((c) => [c.name(), c.description()]);
      assert.deepEqual(
        registered,
        entry.summaries.map(([usage, summary]) => [usage.split(' ')[0], summary]),
      );
      assert.deepEqual(
        registered.map(([name]) => name),
        entry.names,
      );
    }
  });
});
