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

export async function renderTable(head: string[], rows: string[][]): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head,
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2 },
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '' },
  });
  table.push(...rows);
  return table.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}
