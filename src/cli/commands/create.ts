import { Option, type Command } from 'commander';
import { contextFor } from '../context.js';
import { parseDuration } from '../duration.js';

interface CreateOptions {
  repo?: string;
  runtime?: 'kubernetes' | 'local';
  shell: boolean;
  test?: boolean;
  timeout: string;
  ttl?: string;
  from?: string;
  snapshot?: string;
  dbTemplate?: string;
}

export function register(program: Command): void {
  program
    .command('create')
    .description('create a spark: its own database, a container (or local workspace), then open a shell')
    .argument('[name]', 'spark name (default: a random adjective-noun)')
    .option('--repo <url>', 'git repository to clone into the project directory')
    .addOption(new Option('--runtime <runtime>', 'where the spark runs (SPARK_RUNTIME)').choices(['kubernetes', 'local']))
    .option('--no-shell', 'do not open a shell when the spark is ready')
    .option('--test', 'check everything a real create needs, create nothing (the seed\'s "test new configuration")')
    .option('--timeout <duration>', 'how long to wait for the spark to be ready', '5m')
    .option('--ttl <duration>', 'expire the spark after this long (spark reap deletes it then, never with unsaved work); default SPARK_DEFAULT_TTL')
    .option('--from <spark>', "fork: the database is a copy of that spark's (its sessions are ended for the copy), the home a copy of its home; its repo unless --repo")
    .option('--snapshot <id>', 'with --from: copy that snapshot of its database instead (spark db snapshots SPARK)')
    .option('--db-template <template>', 'the database starts as a copy of this golden template (SPARK_DB_TEMPLATE; spark db template list)')
    .action(async (name: string | undefined, options: CreateOptions, command: Command) => {
      const ctx = contextFor(command);
      const timeoutMs = parseDuration(options.timeout, '--timeout');
      const ttlMs = options.ttl === undefined ? undefined : parseDuration(options.ttl, '--ttl');
      const { createCommand, testCommand } = await import('../actions/create.js');
      if (options.test) return testCommand(ctx, { runtime: options.runtime });
      return createCommand(ctx, { name, repo: options.repo, runtime: options.runtime, openShell: options.shell, timeoutMs, ttlMs, from: options.from, snapshot: options.snapshot, dbTemplate: options.dbTemplate });
    });
}
