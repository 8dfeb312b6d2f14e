import pc from 'picocolors';
import { redact } from '../redact.js';

export interface UiOptions {
  json: boolean;
  quiet: boolean;
  color: boolean;
  interactive: boolean;
}

export interface Step {
  /** Replace the current line (spinner text on a TTY; nothing extra otherwise). */
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
}

type Spinner = { text: string; start(): Spinner; succeed(t?: string): Spinner; fail(t?: string): Spinner; stop(): Spinner };

/**
 * Terminal talk. stdout carries data (`--json` is a contract); stderr carries progress and warnings.
 * Spinners and colour only on a TTY, never with --json, and not with NO_COLOR / --no-color.
 */
export class Ui {
  private oraModule?: Promise<typeof import('ora')>;

  constructor(readonly options: UiOptions) {}

  get json(): boolean {
    return this.options.json;
  }

  private paint(f: (s: string) => string, s: string): string {
    return this.options.color ? f(s) : s;
  }

  bold = (s: string): string => this.paint(pc.bold, s);
  dim = (s: string): string => this.paint(pc.dim, s);
  green = (s: string): string => this.paint(pc.green, s);
  red = (s: string): string => this.paint(pc.red, s);
  yellow = (s: string): string => this.paint(pc.yellow, s);

  /** The command's result: JSON with --json, otherwise the human rendering. */
  result(data: unknown, human: () => string): void {
    if (this.options.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else {
      const text = human();
      if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  info(message: string): void {
    if (this.options.json || this.options.quiet) return;
    process.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    if (this.options.json) return;
    process.stderr.write(`${this.yellow('warning:')} ${message}\n`);
  }

  /** Progress of one slow step: a spinner on a TTY, one plain line per step otherwise. */
  async step(text: string): Promise<Step> {
    if (this.options.json || this.options.quiet) return { update() {}, succeed() {}, fail() {} };
    if (!this.options.interactive) {
      process.stderr.write(`… ${text}\n`);
      let last = text;
      return {
        update: (t) => {
          if (t !== last) process.stderr.write(`  ${t}\n`);
          last = t;
        },
        succeed: (t) => process.stderr.write(`✓ ${t ?? text}\n`),
        fail: (t) => process.stderr.write(`✗ ${t ?? text}\n`),
      };
    }
    this.oraModule ??= import('ora');
    const { default: ora } = await this.oraModule;
    const spinner = ora({ text, stream: process.stderr, color: 'cyan', isEnabled: true }).start() as unknown as Spinner;
    return {
      update: (t) => { spinner.text = redact(t); },
      succeed: (t) => { spinner.succeed(t); },
      fail: (t) => { spinner.fail(t); },
    };
  }

  async confirm(message: string): Promise<boolean> {
    const { default: confirm } = await import('@inquirer/confirm');
    return confirm({ message, default: false }, { output: process.stderr });
  }
}

/**
 * Columns aligned like kubectl's: no borders, two spaces between columns. (cli-table3 did this at
 * 10 MB more for a thousand rows: it builds a cell object with its own layout for every value.)
 */
export async function renderTable(head: string[], rows: string[][]): Promise<string> {
  const { default: stringWidth } = await import('string-width');
  const lines = [head, ...rows];
  const cellWidths = lines.map((line) => line.map((cell) => stringWidth(cell)));
  const widths = head.map((_, column) => Math.max(...cellWidths.map((line) => line[column] ?? 0)));
  const pad = (row: number, column: number): string => ' '.repeat(widths[column]! - cellWidths[row]![column]! + 2);
  return lines.map((line, row) => line.map((cell, column) => (column === line.length - 1 ? cell : cell + pad(row, column))).join('').trimEnd()).join('\n');
}
