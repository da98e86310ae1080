/**
 * The `args` of a service: extra `docker run` options, turned into Engine API create-body fields without any shell.
 * See docs/cli.md for the supported flags.
 */
import type { HostVars, RunOptions } from '../run-options.js';
import type { ParseState } from './flag-types.js';
import { applyFlags } from './parser.js';
import { tokenize } from './tokenize.js';

export { FLAGS } from './parser.js';

/**
 * Parses a service's `args` (e.g. `--volumes-from data.influxdb -p $PRIVATE_IP:8083:8083 -e A=b`) into create-body fields.
 * Only the fields of flags given are set; empty args give `{ body: { HostConfig: {} }, envFiles: [] }`.
 * A bare `-e KEY` takes KEY from this process's environment (skipped when unset), as `docker run` does.
 * @param args the options, split into words like a POSIX shell would, without one.
 * @param vars the addresses `$PRIVATE_IP` and `$PUBLIC_IP` expand to.
 * @throws ValidationError on field `args`: RUNDOCK_E_ARGS_UNKNOWN_FLAG, RUNDOCK_E_ARGS_INVALID, RUNDOCK_E_ARGS_SHELL,
 *   or RUNDOCK_E_HOST_ADDRESS when a host variable is used but undefined.
 */
export function parseArgs(args: string, vars: HostVars): RunOptions {
  const words = tokenize(args, vars, 'args');
  const state: ParseState = { body: { HostConfig: {} }, envFiles: [], inheritedEnv: [], seen: new Set() };
  applyFlags(words, state);
  const inherited = state.inheritedEnv.length > 0 ? { inheritedEnv: state.inheritedEnv } : {};
  return { body: state.body, envFiles: state.envFiles, ...inherited };
}

/**
 * Splits a string (such as a service's `cmd`) into words like a POSIX shell would, without one.
 * `$PRIVATE_IP`/`$PUBLIC_IP` expand to `vars`; any other shell syntax is an error.
 * @param field the spec field named in errors.
 * @throws ValidationError RUNDOCK_E_ARGS_SHELL, or RUNDOCK_E_HOST_ADDRESS when a host variable is used but undefined.
 */
export function splitWords(text: string, vars: HostVars, field: string): string[] {
  return tokenize(text, vars, field);
}
