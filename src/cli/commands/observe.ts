import type { Command } from 'commander';
import { contextFor } from '../context.js';
import { parseDuration } from '../duration.js';

/** logs, events, forward: looking at a spark and reaching into it. */
export function register(program: Command): void {
  program
    .command('logs')
    .description("show a spark's container log (its setup steps, sshd); -f follows it")
    .argument('<name>', 'spark name')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--since <duration>', 'only lines newer than this, e.g. 10m or 2h')
    .action(async (name: string, options: { follow?: boolean; since?: string }, command: Command) => {
      const sinceMs = options.since === undefined ? undefined : parseDuration(options.since, '--since');
      const { logsCommand } = await import('../actions/logs.js');
      await logsCommand(contextFor(command), name, { follow: Boolean(options.follow), sinceMs });
    });

  program
    .command('events')
    .description("show what the cluster reported about a spark's objects (also in spark status)")
    .argument('<name>', 'spark name')
    .action(async (name: string, _options, command: Command) => {
      const { eventsCommand } = await import('../actions/events.js');
      await eventsCommand(contextFor(command), name);
    });

  program
    .command('forward')
    .description('forward local ports to a spark over SSH until Ctrl-C (PORT, or LOCAL:REMOTE)')
    .argument('<name>', 'spark name')
    .argument('<ports...>', 'PORT or LOCAL:REMOTE, e.g. 3000 8080:80')
    .action(async (name: string, ports: string[], _options, command: Command) => {
      const { forwardCommand } = await import('../actions/forward.js');
      await forwardCommand(contextFor(command), name, ports);
    });
}
