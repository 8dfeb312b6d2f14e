/**
 * Spawn-to-exit timing of one process: `process.hrtime.bigint()` right before `spawn` and at its
 * `exit` event, no shell in between. Optionally timestamps every stderr line (for create's step
 * breakdown) and measures the peak RSS (GNU time's %M, else polling /proc/<pid>/status VmHWM).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface Line {
  /** Milliseconds since spawn. */
  atMs: number;
  text: string;
}

export interface RunOutcome {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
  /** stderr lines with the time each arrived (only with `lines: true`). */
  lines: Line[];
  timedOut: boolean;
  /** Peak resident set size in kB (only with `rss: true`). */
  peakRssKb?: number;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  lines?: boolean;
  rss?: boolean;
  input?: string;
}

let rssFileCounter = 0;

/** How peak RSS is measured on this machine. */
export function rssMethod(): 'gnu-time' | 'proc-vmhwm' {
  return existsSync(GNU_TIME) ? 'gnu-time' : 'proc-vmhwm';
}

export function display(program: string, args: string[]): string {
  const short = (s: string): string => (s === process.execPath ? 'node' : s.replace(/^.*\/dist\/spark\.mjs$/, 'spark'));
  return [short(program), ...args.map(short)].join(' ');
}

export async function run(program: string, args: string[], options: RunOptions): Promise<RunOutcome> {
  const useTime = options.rss === true && rssMethod() === 'gnu-time';
  const rssFile = useTime ? join(tmpdir(), `spark-bench-rss-${process.pid}-${rssFileCounter++}`) : undefined;
  const [file, argv] = useTime ? [GNU_TIME, ['-f', '%M', '-o', rssFile!, program, ...args]] : [program, args];

  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const lines: Line[] = [];
  let pending = '';
  let timedOut = false;
  let hwm = 0;

  const start = process.hrtime.bigint();
  const child = spawn(file, argv, { env: options.env, cwd: options.cwd, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const elapsed = (): number => Number(process.hrtime.bigint() - start) / 1e6;

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, ms: elapsed() }));
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  if (options.input !== undefined) child.stdin?.end(options.input);

  child.stdout!.on('data', (d: Buffer) => stdout.push(d));
  child.stderr!.on('data', (d: Buffer) => {
    stderr.push(d);
    if (!options.lines) return;
    const at = elapsed();
    pending += d.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const text of parts) lines.push({ atMs: at, text });
  });

  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 120_000);
  // Without GNU time: VmHWM is a high-water mark, so the last read before exit is a lower bound of the peak.
  const poll = options.rss && !useTime && child.pid
    ? setInterval(() => {
      void readFile(`/proc/${child.pid}/status`, 'utf8').then((s) => {
        const m = /VmHWM:\s+(\d+)\s+kB/.exec(s);
        if (m) hwm = Math.max(hwm, Number(m[1]));
      }, () => {});
    }, 5)
    : undefined;

  try {
    const { code, signal, ms } = await exited;
    await closed;
    if (pending && options.lines) lines.push({ atMs: ms, text: pending });
    let peakRssKb: number | undefined;
    if (useTime) {
      // GNU time writes "Command exited with non-zero status N" before the figure on failure.
      const text = await readFile(rssFile!, 'utf8').catch(() => '');
      const last = text.trim().split('\n').pop();
      if (last && /^\d+$/.test(last)) peakRssKb = Number(last);
    } else if (options.rss) {
      peakRssKb = hwm || undefined;
    }
    return {
      command: display(program, args),
      code,
      signal,
      ms,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
      lines,
      timedOut,
      peakRssKb,
    };
  } finally {
    clearTimeout(timer);
    if (poll) clearInterval(poll);
    if (rssFile) await rm(rssFile, { force: true });
  }
}

/** The first meaningful line of a failed run, for "not available: <reason>". */
export function failureReason(outcome: RunOutcome): string {
  if (outcome.timedOut) return `${outcome.command} timed out after ${Math.round(outcome.ms)} ms`;
  const text = `${outcome.stderr}\n${outcome.stdout}`;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(outcome.stdout) as { error?: { message?: string } };
    message = parsed.error?.message;
  } catch {
    // not JSON
  }
  message ??= text.split('\n').map((l) => l.trim()).find((l) => /^error:/i.test(l)) ?? text.split('\n').map((l) => l.trim()).find(Boolean);
  const status = outcome.signal ? `signal ${outcome.signal}` : `exit ${outcome.code}`;
  return `${outcome.command} → ${status}${message ? `: ${message.replace(/^error:\s*/i, '').slice(0, 300)}` : ''}`;
}

export function succeeded(outcome: RunOutcome): boolean {
  return outcome.code === 0 && !outcome.timedOut;
}
