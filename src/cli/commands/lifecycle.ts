import type { Command } from 'commander';
import { contextFor } from '../context.js';
import { outputFormat, outputOption } from '../output.js';

/** list, status, shell, delete, doctor: each parses here and runs in a lazily loaded action. */
export function register(program: Command): void {
  program
    .command('list')
    .alias('ls')
    .description('list sparks, newest first (Go-CLI sparks included)')
    .addOption(outputOption())
    .action(async (options: { output?: string }, command: Command) => {
      const { listCommand } = await import('../actions/list.js');
      const ctx = contextFor(command);
      await listCommand(ctx, outputFormat(ctx.ui, options.output));
    });

  program
    .command('status')
    .description('show one spark: its objects, pod, recent events, database and how to connect')
    .argument('<name>', 'spark name')
    .addOption(outputOption())
    .action(async (name: string, options: { output?: string }, command: Command) => {
      const { statusCommand } = await import('../actions/status.js');
      const ctx = contextFor(command);
      await statusCommand(ctx, name, outputFormat(ctx.ui, options.output));
    });

  program
    .command('shell')
    .description('open a shell in a spark (woken first if asleep), or run one command and exit with its code')
    .argument('<name>', 'spark name')
    .argument('[command...]', 'command to run instead of an interactive shell (after --)')
    .option('--no-wake', 'refuse a sleeping spark instead of waking it')
    .action(async (name: string, commandArgs: string[], options: { wake: boolean }, command: Command) => {
      const { shellCommand } = await import('../actions/shell.js');
      await shellCommand(contextFor(command), name, commandArgs, { wake: options.wake });
    });

  program
    .command('delete')
    .alias('rm')
    .description('delete sparks: their objects or workspace and, unless --keep-db, their databases')
    .argument('<names...>', 'spark names')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--keep-db', 'keep the database (and its snapshots)')
    .option('--keep-snapshots', "keep the database's snapshots (spark db snapshots NAME)")
    .option('--force-db', 'drop the database of that name even if spark did not make it')
    .option('--ignore-not-found', 'a name that exists nowhere is no error')
    .action(async (names: string[], options: { yes?: boolean; keepDb?: boolean; keepSnapshots?: boolean; forceDb?: boolean; ignoreNotFound?: boolean }, command: Command) => {
      const { deleteCommand } = await import('../actions/delete.js');
      await deleteCommand(contextFor(command), names, {
        yes: Boolean(options.yes),
        keepDatabase: Boolean(options.keepDb),
        forceDatabase: Boolean(options.forceDb),
        keepSnapshots: Boolean(options.keepSnapshots),
        ignoreNotFound: Boolean(options.ignoreNotFound),
      });
    });

  program
    .command('doctor')
    .description('check configuration, database, cluster and every spark; print the fix for each problem')
    .action(async (_options, command: Command) => {
      const { doctorCommand } = await import('../actions/doctor.js');
      await doctorCommand(contextFor(command));
    });

  const local = program.command('local').description('the embedded PostgreSQL server of local sparks');
  local
    .command('status')
    .description('show whether the embedded server is running, where, and its data directory')
    .action(async (_options, command: Command) => {
      const { localStatusCommand } = await import('../actions/local.js');
      await localStatusCommand(contextFor(command));
    });
  local
    .command('stop')
    .description('stop the embedded server (it starts again on demand)')
    .action(async (_options, command: Command) => {
      const { localStopCommand } = await import('../actions/local.js');
      await localStopCommand(contextFor(command));
    });
}
