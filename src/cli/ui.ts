import type { Command } from 'commander';
import { loadHostConfig } from '../shared/config.js';
import { ValidationError } from '../shared/errors.js';
import { logger } from '../shared/log.js';
import { ProcessFeeds } from '../registry/feeds.js';
import { DEFAULT_UI_LISTEN, TOKEN_ENV, uiOptions, type UiOptions } from '../ui/options.js';
import * as z from 'zod/mini';
import { configFilePath } from '../shared/config-file.js';
import { DaemonInput, type OptionSource } from './config-flags.js';
import type { GlobalOptions } from './context.js';
import {
  addDeclaredOptions,
  commanderDefault,
  configKeysOf,
  optional,
  required,
  shapeOf,
} from './daemon-options/declare.js';
import { domain as domainField, textValue } from './daemon-options/fields.js';
import { parseOptions } from './daemon-options/parse.js';
import { runUntilSignal } from './daemon-run.js';
import { addEtcdOptions, etcdConnection, warnPlainEtcd, type EtcdFlags } from './etcd-flags.js';

interface UiFlags extends EtcdFlags {
  domain?: string;
  listen: string;
  uiTokenFile?: string;
}

const TOKEN_HELP = `file holding the token (first line) that every request must carry; required off loopback (or ${TOKEN_ENV})`;

/** `rundock ui`'s options, in --help's order (docs/cli.md, "ui"); the listen address and token are ui/options.ts's to check. */
export const UI_OPTIONS = {
  domain: required(domainField, {
    value: '<domain>',
    help: 'the domain of the services, e.g. s.prod.example.com',
    config: 'domain',
  }),
  listen: commanderDefault(textValue, {
    value: '<addr:port>',
    help: 'where to serve the page (any non-loopback address needs a token)',
    default: DEFAULT_UI_LISTEN,
  }),
  'ui-token-file': optional(textValue, { value: '<file>', help: TOKEN_HELP }),
};

/** The agent's `--ui [addr:port]` and `--ui-token-file`: the same UI over the agent's own registry. */
export const AGENT_UI_OPTIONS = {
  ui: optional(z.union([z.boolean(), textValue]), {
    value: '[addr:port]',
    help: `also serve the web UI (default ${DEFAULT_UI_LISTEN}), over etcd or the embedded registry`,
  }),
  'ui-token-file': optional(textValue, { value: '<file>', help: `with --ui: ${TOKEN_HELP}` }),
};

const uiSchema = z.object(shapeOf(UI_OPTIONS));

/** Adds `rundock ui`: the read-only web dashboard of the cluster, from etcd. */
export function registerUi(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const command = addEtcdOptions(
    program
      .command('ui')
      .description('serve a read-only live web view of every host and service in the registry; runs in the foreground'),
    'etcd endpoints, comma separated',
  );
  addDeclaredOptions(command, UI_OPTIONS).action((flags: UiFlags, self: Command) =>
    run(() => runUi(flags, (key) => self.getOptionValueSource(key), program.opts<GlobalOptions>())),
  );
}

/** Adds the agent's UI options. */
export function addAgentUiOptions(command: Command): Command {
  return addDeclaredOptions(command, AGENT_UI_OPTIONS);
}

/** The agent's UI options, checked before anything starts; undefined without --ui. */
export function agentUiOptions(
  flags: { ui?: string | boolean; uiTokenFile?: string },
  domain: string,
): UiOptions | undefined {
  if (flags.ui === undefined || flags.ui === false) {
    if (flags.uiTokenFile !== undefined) throw new ValidationError('ui-token-file', flags.uiTokenFile, 'needs --ui');
    return undefined;
  }
  const listen = flags.ui === true ? DEFAULT_UI_LISTEN : flags.ui;
  return uiOptions({ domain, listen, tokenFile: flags.uiTokenFile, listenFlag: 'ui' });
}

async function runUi(flags: UiFlags, sourceOf: OptionSource, global: GlobalOptions): Promise<number> {
  const config = loadHostConfig(global.config);
  const input = DaemonInput.of(flags, sourceOf, {
    file: configFilePath(global.config),
    topLevel: configKeysOf(UI_OPTIONS, config),
  });
  const { domain } = parseOptions(uiSchema, input);
  const options = uiOptions({ domain, listen: flags.listen, tokenFile: flags.uiTokenFile });
  const etcd = etcdConnection(flags, config);
  if (etcd === undefined)
    throw new ValidationError(
      'etcd',
      etcd,
      'is required (--etcd or etcd in the config file); on a single machine run rundock agent --ui',
    );
  const log = logger('ui');
  warnPlainEtcd(etcd, log);
  return runUntilSignal('ui', log, async () => {
    const { startUi } = await import('../ui/ui.js');
    const feeds = new ProcessFeeds({ source: { etcd }, log });
    const ui = await startUi({ ...options, feeds, log }).catch(async (error: unknown) => {
      await feeds.stop();
      throw error;
    });
    return {
      stopSteps: () => [
        { name: 'stop the web UI', run: () => ui.stop() },
        { name: 'stop the record feeds', run: () => feeds.stop() },
      ],
    };
  });
}
