/** Which command an argument list runs, read before anything is loaded (main.ts). */

/** Global options that take a value: their value is not the command word. */
const GLOBAL_VALUE_OPTIONS = new Set(['--config', '--public-ip', '--private-ip', '--public-iface', '--private-iface']);

/**
 * The command word of `argv`: the first word that is neither a global option nor its value. For `help WORD` (commander's
 * help command), WORD.
 */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? '';
    if (GLOBAL_VALUE_OPTIONS.has(word)) i++;
    else if (!word.startsWith('-')) return word === 'help' ? argv[i + 1] : word;
  }
  return undefined;
}
