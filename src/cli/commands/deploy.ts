import type { Command } from 'commander';
import { contextFor } from '../context.js';

/** The cluster setup files, printed from the installed package: what `kubectl apply -f deploy/…` hints mean without a clone. */
export function register(program: Command): void {
  const deploy = program.command('deploy').description('print the cluster setup files that ship with spark (deploy/)');
  deploy
    .command('list')
    .description('list the setup files')
    .action(async (_options, command: Command) => {
      const { deployListCommand } = await import('../actions/deploy.js');
      await deployListCommand(contextFor(command));
    });
  deploy
    .command('print')
    .description('print one setup file, e.g. to pipe into kubectl apply -f -')
    .argument('<file>', 'file name, e.g. rbac.yaml (see spark deploy list)')
    .action(async (file: string, _options, command: Command) => {
      const { deployPrintCommand } = await import('../actions/deploy.js');
      await deployPrintCommand(contextFor(command), file);
    });
}
