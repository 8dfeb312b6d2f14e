import { Option } from 'commander';
import { stdout } from './terminal.js';
import type { Ui } from './ui.js';

/** `-o/--output` of list and status, as kubectl has it; `--json` is `-o json`. */
export type OutputFormat = 'table' | 'json' | 'yaml' | 'wide' | 'name';

export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format (wide: every column, nothing cut)').choices(['json', 'yaml', 'wide', 'name']);
}

export function outputFormat(ui: Ui, output: string | undefined): OutputFormat {
  return (output as OutputFormat | undefined) ?? (ui.json ? 'json' : 'table');
}

/** The width tables must fit: the terminal's, or $COLUMNS; unlimited when piped without it. */
export function terminalWidth(): number | undefined {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}

/** The data as YAML (the yaml package is loaded only for this). */
export async function printYaml(data: unknown): Promise<void> {
  const yaml = await import('yaml');
  // A CommonJS package split into its own chunk by esbuild comes back as the default export only.
  const { stringify } = yaml.default ?? yaml;
  stdout.write(stringify(data));
}
