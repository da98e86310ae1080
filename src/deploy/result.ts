/** What a run reports for one service: the documented `--json` result (docs/cli.md, "JSON result"). */
import type { ObservedContainer } from '../runtime/engine.js';
import { decodeLabels, LABEL } from '../service-spec/labels.js';
import { containerPort, type DesiredContainer } from '../plan/container-body.js';
import { specChanges, type FieldChange } from '../plan/changes.js';
import type { Plan } from '../plan/plan.js';
import { describeStep } from './execute.js';

import type { PreparedService } from './prepare.js';

/** A service's container as reported in results (`--json` and Ansible facts). */
export interface ContainerSummary {
  id: string;
  name: string;
  status: string;
  image: string;
  image_id: string;
  spec_hash: string;
}

/** The outcome of one service; its fields are the documented `--json` shape. */
export interface ServiceResult {
  name: string;
  state: string;
  changed: boolean;
  dry_run: boolean;
  actions: string[];
  /** How long each step took, in order, ms (empty in a dry run or when nothing ran). */
  timings: { action: string; ms: number }[];
  /** The spec fields that differ from the container there, before and after (never a secret value). */
  changes: FieldChange[];
  pulled: boolean;
  before: ContainerSummary | null;
  after: ContainerSummary | null;
  health: string | null;
  /**
   * Where the service is published on the host; `auto` until Docker has bound a port (a dry run). With `--network
   * host` nothing is published: the service listens on the host's address itself (`network: "host"`).
   */
  published: { ip: string; port: number | 'auto'; network?: 'host' } | null;
  announced: { as: string; port: number | 'auto' | null } | null;
  /** How the running container was replaced, if it was. */
  handover: 'overlap' | 'withdraw-first' | null;
  /** The address the agent announced the service at (`ip:port`), once it did; null without an agent. */
  address: string | null;
  /** The public routes the spec gives, `HOST[/PATH]` (empty without any). */
  routes: string[];
}

/** The result as planned, before anything ran (all of it for a dry run). */
export function plannedResult(
  prepared: PreparedService,
  desired: DesiredContainer | undefined,
  plan: Plan,
  main: ObservedContainer | undefined,
  image: { imageId?: string | undefined; pulled: boolean } | undefined,
  dryRun: boolean,
): ServiceResult {
  const { spec } = prepared;
  const steps = [...plan.steps.map((s) => s.step), ...plan.cleanup].filter((s) => plan.changed || !isWait(s));
  const announces = spec.announce_as === 'container' ? containerPort(spec) !== undefined : spec.announce !== undefined;
  const replaces = main !== undefined && desired !== undefined && plan.steps.some((s) => s.step.op === 'create');
  return {
    name: spec.name,
    state: spec.state,
    changed: plan.changed,
    dry_run: dryRun,
    actions: steps.map(describeStep),
    timings: [],
    changes: replaces
      ? specChanges(
          { labels: main.labels, imageId: main.imageId },
          { labels: desired.body.Labels ?? {}, imageId: image?.imageId },
        )
      : [],
    pulled: image?.pulled ?? false,
    before: main ? summarize(main) : null,
    after: null,
    health: null,
    published: desired?.published ?? null,
    handover: plan.handover ?? null,
    address: null,
    // The spec's routes; for a service acted on as it is (no spec given), its container's.
    routes: [...(decodeLabels(desired?.body.Labels ?? main?.labels ?? {})?.routes ?? [])],
    announced:
      announces && spec.state === 'enabled'
        ? {
            as: spec.announce_as,
            port: spec.announce_as === 'container' ? (containerPort(spec) ?? null) : (spec.announce ?? null),
          }
        : null,
  };
}

function isWait(s: { op: string }): boolean {
  return s.op === 'wait' || s.op === 'announced' || s.op === 'served';
}

export function summarize(c: ObservedContainer): ContainerSummary {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    image: c.labels[LABEL.image] ?? '',
    image_id: c.imageId,
    spec_hash: c.labels[LABEL.specHash] ?? '',
  };
}
