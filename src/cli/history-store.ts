import type { ServiceResult } from '../deploy/converge.js';
import { History } from '../deploy/history.js';
import { RundockError, ValidationError } from '../shared/errors.js';
import type { ServiceSpec } from '../service-spec/schema.js';
import { configOf, type GlobalOptions } from './context.js';

/** Where generations are kept: RUNDOCK_STATE_DIR, `state_dir` in the config file, or /var/lib/rundock. */
export function historyOf(global: GlobalOptions, env: NodeJS.ProcessEnv = process.env): History {
  return new History(env.RUNDOCK_STATE_DIR ?? configOf(global, env).state_dir ?? '/var/lib/rundock');
}

/**
 * Records what a deploy did as a generation: a changed container (deployed), or a new one that never served and was
 * removed (reverted). Returns a warning when the history cannot be written; the deploy itself stands.
 */
export function recordOutcome(
  history: History,
  spec: Readonly<ServiceSpec>,
  outcome: { result: ServiceResult; rollbackOf?: number } | { error: unknown; specHash?: string | undefined },
): string | undefined {
  if (spec.state === 'absent' || spec.image === undefined) return undefined;
  try {
    if ('result' in outcome) {
      const { result } = outcome;
      if (!result.changed || result.dry_run || result.after === null) return undefined;
      const after = result.after;
      history.record(spec.name, {
        image: spec.image,
        image_id: after.image_id,
        spec_hash: after.spec_hash,
        container: after.id,
        result: 'deployed',
        spec,
        ...(outcome.rollbackOf !== undefined && { rollback_of: outcome.rollbackOf }),
      });
    } else if (outcome.error instanceof RundockError && outcome.error.details.rolled_back !== undefined) {
      const container = typeof outcome.error.details.container === 'string' ? outcome.error.details.container : '';
      history.record(spec.name, {
        image: spec.image,
        image_id: '',
        spec_hash: outcome.specHash ?? '',
        container,
        result: 'reverted',
        error: outcome.error.code,
        spec,
      });
    }
    return undefined;
  } catch (error) {
    return `history not recorded: ${(error as Error).message}`;
  }
}

/**
 * A bare `enable NAME` (or `present NAME`) of a service whose container is gone (`docker rm -f`), but that this host
 * deployed before: the error says how to get it back (`rundock rollback NAME` deploys the last generation).
 */
export function withRollbackHint(error: unknown, history: History, service: string): unknown {
  if (!(error instanceof ValidationError) || error.field !== 'image' || error.value !== undefined) return error;
  const last = history.previous(service, undefined);
  if (last === undefined) return error;
  const hint = `; its history has generation ${last.generation} (${last.image}, deployed ${last.deployed_at}): \`rundock rollback ${service}\` deploys it again`;
  return new ValidationError(error.field, error.value, `${error.reason}${hint}`, error.code);
}
