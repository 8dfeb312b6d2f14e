import type { Command } from 'commander';
import { contextFor } from '../context.js';

export function register(program: Command): void {
  program
    .command('version')
    .description('print the versions of spark, Node.js, and the Kubernetes and PostgreSQL servers when reachable')
    .option('--client', 'only the client versions (asks no server)')
    .action(async (options: { client?: boolean }, command: Command) => {
      const { versionCommand } = await import('../actions/version.js');
      await versionCommand(contextFor(command), { client: Boolean(options.client) });
    });
}
