import type { Command } from 'commander';
import type { Config, ConfigKey, ConfigValues } from '../config/index.js';
import type { RuntimeKind } from '../core/ports.js';
import { Ui } from './ui.js';

export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  namespace?: string;
  context?: string;
}

export interface Context {
  ui: Ui;
  globals: GlobalOptions;
  /**
   * Effective configuration; `flags` are this command's settings given on the command line. `needs`:
   * the settings the command reads, so the spark-cli-config Secret is asked only when one of them is
   * not given locally (default: whenever any setting without a default is missing).
   */
  config(flags?: ConfigValues, options?: { needs?: readonly ConfigKey[] }): Promise<Config>;
}

export function contextFor(command: Command): Context {
  const globals = command.optsWithGlobals<GlobalOptions & { output?: string }>();
  const env = process.env;
  const tty = Boolean(process.stderr.isTTY);
  const json = Boolean(globals.json) || globals.output === 'json';
  const ui = new Ui({
    json,
    quiet: Boolean(globals.quiet),
    color: tty && globals.color !== false && !env.NO_COLOR,
    interactive: tty && Boolean(process.stdin.isTTY) && !json,
  });
  return {
    ui,
    globals,
    // Loaded lazily: the schema library is not on the start-up path.
    config: async (flags = {}, options = {}) =>
      (await import('../config/index.js')).loadConfig({
        flags: { SPARK_NAMESPACE: globals.namespace, SPARK_CONTEXT: globals.context, ...flags },
        env,
        needs: options.needs,
        clusterSecret: async (partial) => {
          const { runtimeEntry } = await import('../runtimes/registry.js');
          // SPARK_RUNTIME is not validated yet here: an unknown kind has no entry.
          return runtimeEntry((partial.SPARK_RUNTIME ?? 'kubernetes') as RuntimeKind)?.configSource?.(partial);
        },
      }),
  };
}
