import type { Command } from 'commander';
import { contextFor } from '../context.js';
import { parseDuration } from '../duration.js';

/** sleep, wake, and plain `ssh spark-NAME` that wakes sleepers: ssh-config and proxy. */
export function register(program: Command): void {
  program
    .command('sleep')
    .description('put sparks to sleep: the container stops; home, database and settings are kept')
    .argument('<names...>', 'spark names')
    .action(async (names: string[], _options, command: Command) => {
      const { sleepCommand } = await import('../actions/sleep.js');
      await sleepCommand(contextFor(command), names);
    });

  program
    .command('wake')
    .description('wake sleeping sparks and wait until they are ready')
    .argument('<names...>', 'spark names')
    .option('--no-wait', 'return once the spark is starting, without waiting for it')
    .option('--timeout <duration>', 'how long to wait for each spark to be ready', '5m')
    .action(async (names: string[], options: { wait: boolean; timeout: string }, command: Command) => {
      const timeoutMs = parseDuration(options.timeout);
      const { wakeCommand } = await import('../actions/sleep.js');
      await wakeCommand(contextFor(command), names, { wait: options.wait, timeoutMs });
    });

  program
    .command('ssh-config')
    .description('print the ssh config block that makes plain `ssh spark-NAME` work (and wake sleepers)')
    .option('--write', 'write it to ~/.ssh/spark_config and Include that from ~/.ssh/config')
    .action(async (options: { write?: boolean }, command: Command) => {
      const { sshConfigCommand } = await import('../actions/ssh-config.js');
      await sshConfigCommand(contextFor(command), { write: Boolean(options.write) });
    });

  program
    .command('proxy')
    .description("ssh's ProxyCommand (see spark ssh-config): wake the spark, then relay stdin/stdout to its SSH port")
    .argument('<host>', 'spark-NAME, NAME, or the tailnet name spark-NAME.<tailnet>.ts.net')
    .argument('[port]', 'SSH port of the spark', '22')
    .option('--timeout <duration>', 'how long to wait for the spark and its SSH to be ready', '5m')
    .action(async (host: string, port: string, options: { timeout: string }, command: Command) => {
      const timeoutMs = parseDuration(options.timeout);
      const { proxyCommand } = await import('../actions/proxy.js');
      await proxyCommand(contextFor(command), host, port, { timeoutMs });
    });
}
