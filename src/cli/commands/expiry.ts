import type { Command } from 'commander';
import { contextFor } from '../context.js';

/** extend, reap: a spark's expiry, and the cleanup that acts on expiries and idleness. */
export function register(program: Command): void {
  program
    .command('extend')
    .description('push back a spark\'s expiry: DUR after its current expiry, or after now if that is later')
    .argument('<name>', 'spark name')
    .argument('<duration>', 'how much longer, e.g. 2h or 7d')
    // "-3h" is a (negative) duration to refuse with its own message, not an unknown option.
    .allowUnknownOption()
    .action(async (name: string, duration: string, _options, command: Command) => {
      const { extendCommand } = await import('../actions/expiry.js');
      await extendCommand(contextFor(command), name, duration);
    });

  program
    .command('reap')
    .description('put idle sparks to sleep and delete expired ones — never one with unsaved work (unless --force)')
    .option('--dry-run', 'print what would be done, change nothing')
    .option('--force', 'delete expired sparks even with unsaved work, an open session or no activity report')
    .action(async (options: { dryRun?: boolean; force?: boolean }, command: Command) => {
      const { reapCommand } = await import('../actions/expiry.js');
      await reapCommand(contextFor(command), { dryRun: Boolean(options.dryRun), force: Boolean(options.force) });
    });
}
