import type { Command } from 'commander';
import { contextFor } from '../context.js';
import { renderTable } from '../ui.js';

export function register(program: Command): void {
  program
    .command('config')
    .description('show the effective configuration, where each value came from (secrets masked)')
    .action(async (_options, command: Command) => {
      const { ui, config } = contextFor(command);
      const { describeConfig, describeSource } = await import('../../config/index.js');
      const effective = await config();
      const entries = describeConfig(effective);
      const table = await renderTable(
        ['KEY', 'VALUE', 'SOURCE'],
        entries.map((e) => [e.key, e.value ?? { text: '(unset)', style: ui.dim }, describeSource(e.source, effective.file)]),
      );
      ui.result({ configFile: effective.file, settings: entries }, () => `${table}\n\n${ui.dim(`config file: ${effective.file}`)}`);
    });
}
