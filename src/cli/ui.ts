import pc from 'picocolors';
import { interrupted } from '../errors.js';
import { redact, type RedactingWriter } from '../redact.js';
import * as terminal from './terminal.js';
import { fitWidths, truncate } from './fit.js';
import { jsonText, printable } from './printable.js';

export interface UiOptions {
  json: boolean;
  quiet: boolean;
  color: boolean;
  interactive: boolean;
}

/** Where the Ui writes: data, and talk. Both mask secrets (src/redact.ts). */
export interface UiSinks {
  stdout: RedactingWriter;
  stderr: RedactingWriter;
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

  private readonly out: RedactingWriter;
  private readonly err: RedactingWriter;

  constructor(readonly options: UiOptions, sinks: UiSinks = terminal) {
    this.out = sinks.stdout;
    this.err = sinks.stderr;
  }

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
    if (this.options.json) this.out.write(`${jsonText(data)}\n`);
    else {
      const text = human();
      if (text) this.out.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Data as it is (YAML, names, log lines, SQL), on stdout, whatever the render mode. */
  print(text: string): void {
    this.out.write(text);
  }

  /**
   * The one way a new secret is shown: `text` (or with --json, the result `data`) with that secret
   * unmasked, this once. Every other secret stays masked.
   */
  revealOnce(secret: string, text: string, where: 'stdout' | 'stderr' = 'stdout'): void {
    (where === 'stdout' ? this.out : this.err).revealOnce(secret, text);
  }

  info(message: string): void {
    if (this.options.json || this.options.quiet) return;
    this.err.write(`${message}\n`);
  }

  warn(message: string): void {
    if (this.options.json) return;
    this.err.write(`${this.yellow('warning:')} ${message}\n`);
  }

  /** Progress of one slow step: a spinner on a TTY, one plain line per step otherwise. */
  async step(text: string): Promise<Step> {
    if (this.options.json || this.options.quiet) return { update() {}, succeed() {}, fail() {} };
    if (!this.options.interactive) {
      this.err.write(`… ${printable(text)}\n`);
      let last = text;
      return {
        update: (t) => {
          if (t !== last) this.err.write(`  ${printable(t)}\n`);
          last = t;
        },
        succeed: (t) => this.err.write(`✓ ${printable(t ?? text)}\n`),
        fail: (t) => this.err.write(`✗ ${printable(t ?? text)}\n`),
      };
    }
    this.oraModule ??= import('ora');
    const { default: ora } = await this.oraModule;
    // ora's own discarding (stdin-discarder 0.3.2) sets raw mode but never starts reading a fresh
    // stdin, so Ctrl-C arrived as an unread byte and did nothing: keys are held here instead.
    // Progress carries event messages and reasons from the cluster: one printable line each. ora
    // draws on the terminal itself (it needs the TTY stream): what it draws is redacted here.
    const shown = (t: string): string => redact(printable(t));
    const spinner = ora({ text: shown(text), stream: process.stderr, color: 'cyan', isEnabled: true, discardStdin: false }).start() as unknown as Spinner;
    const release = holdKeys();
    return {
      update: (t) => { spinner.text = shown(t); },
      succeed: (t) => { release(); spinner.succeed(t === undefined ? t : shown(t)); },
      fail: (t) => { release(); spinner.fail(t === undefined ? t : shown(t)); },
    };
  }

  /** A y/N question; Ctrl-C aborts quietly (exit 130). */
  async confirm(message: string): Promise<boolean> {
    const { default: confirm } = await import('@inquirer/confirm');
    try {
      // The prompt draws on the terminal itself (it needs the TTY stream): the question is redacted here.
      return await confirm({ message: redact(message), default: false }, { output: process.stderr });
    } catch (error) {
      if ((error as Error)?.name === 'ExitPromptError') throw interrupted('Interrupted.');
      throw error;
    }
  }
}

/** A table cell: text (from anywhere), optionally with a style (colour) spark adds after it is made printable. */
export type Cell = string | { text: string; style: (s: string) => string };

/**
 * While a spinner runs: typed keys are swallowed (raw mode, so they cannot garble the line) and
 * Ctrl-C is turned back into the SIGINT the terminal would have sent. Returns the undo.
 */
function holdKeys(): () => void {
  const { stdin } = process;
  if (!stdin.isTTY) return () => {};
  const wasRaw = stdin.isRaw;
  const onData = (chunk: Buffer): void => {
    if (chunk.includes(0x03)) process.kill(process.pid, 'SIGINT');
  };
  stdin.setRawMode(true);
  stdin.on('data', onData);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    stdin.off('data', onData);
    stdin.setRawMode(wasRaw);
    // Stop reading: the terminal belongs to whatever runs next (ssh, a prompt).
    stdin.pause();
  };
}

/**
 * Columns aligned like kubectl's: no borders, two spaces between columns. (cli-table3 did this at
 * 10 MB more for a thousand rows: it builds a cell object with its own layout for every value.)
 * Every cell is made printable, so no value can break a row or move the cursor.
 */
export async function renderTable(head: string[], rows: Cell[][], fit: { maxWidth?: number; keep?: number[] } = {}): Promise<string> {
  const { default: stringWidth } = await import('string-width');
  const lines: Cell[][] = [head, ...rows];
  let texts = lines.map((line) => line.map((cell) => printable(typeof cell === 'string' ? cell : cell.text)));
  let cellWidths = texts.map((line) => line.map((text) => stringWidth(text)));
  let widths = head.map((_, column) => Math.max(...cellWidths.map((line) => line[column] ?? 0)));
  if (fit.maxWidth) {
    // Too wide for the terminal: long cells are cut with an ellipsis; `keep` columns (names) never are.
    const fitted = fitWidths(widths, fit.maxWidth, head.map((h, column) => (fit.keep?.includes(column) ? widths[column]! : Math.max(stringWidth(h), 3))));
    if (fitted.some((w, column) => w < widths[column]!)) {
      texts = texts.map((line) => line.map((text, column) => truncate(text, fitted[column]!, stringWidth)));
      cellWidths = texts.map((line) => line.map((text) => stringWidth(text)));
      widths = fitted;
    }
  }
  const pad = (row: number, column: number): string => ' '.repeat(widths[column]! - cellWidths[row]![column]! + 2);
  const show = (row: number, column: number): string => {
    const cell = lines[row]![column]!;
    return typeof cell === 'string' ? texts[row]![column]! : cell.style(texts[row]![column]!);
  };
  return texts.map((line, row) => line.map((_, column) => (column === line.length - 1 ? show(row, column) : show(row, column) + pad(row, column))).join('').trimEnd()).join('\n');
}
