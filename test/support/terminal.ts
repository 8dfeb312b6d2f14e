/**
 * The built `spark` on a real pseudo-terminal: a private tmux server per run (its own socket), so
 * stdin and stderr are TTYs, Ctrl-C is a key press (`press('C-c')`), and the screen is read back as
 * a user would see it. The pane stays after the program exits, to read its exit status.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture } from './capture.js';
import { SPARK_BIN } from './cli.js';

export interface Terminal {
  /** Everything on the screen and in its scrollback, wrapped lines joined. */
  screen(): Promise<string>;
  /** Wait until the screen matches; rejects at the deadline with what the screen showed. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** tmux key names: `C-c`, `Enter`, `y`. */
  press(...keys: string[]): Promise<void>;
  /** The program's exit status, once it has exited; rejects at the deadline. */
  exitCode(timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

const POLL_MS = 50;

/** Run `spark ARGS` in a fresh terminal with exactly `env` (plus PATH). */
export async function sparkInTerminal(args: string[], env: Record<string, string>): Promise<Terminal> {
  const dir = mkdtempSync(join(tmpdir(), 'spark-tty-'));
  const socket = join(dir, 'tmux.sock');
  const conf = join(dir, 'tmux.conf');
  writeFileSync(conf, 'set -g remain-on-exit on\nset -g history-limit 10000\n');
  const tmux = async (...tmuxArgs: string[]): Promise<string> => {
    const result = await capture('tmux', ['-S', socket, '-f', conf, ...tmuxArgs], { env: { PATH: process.env.PATH, TERM: 'xterm-256color', ...env }, timeoutMs: 10_000 });
    if (result.code !== 0) throw new Error(`tmux ${tmuxArgs[0]} failed (${result.code}): ${result.stderr}`);
    return result.stdout;
  };
  // Several words: tmux runs the program directly, no shell in between.
  await tmux('new-session', '-d', '-s', 'spark', '-x', '200', '-y', '50', process.execPath, SPARK_BIN, ...args);

  const screen = (): Promise<string> => tmux('capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', 'spark');
  // What the program is doing, for the message when it does not get there in time.
  const processes = async (): Promise<string> => {
    const pid = (await tmux('display-message', '-p', '-t', 'spark', '#{pane_pid}|#{pane_dead}')).trim();
    const ps = await capture('ps', ['-o', 'pid,ppid,stat,wchan:20,etime,args', '--forest', '--sid', pid.split('|')[0]!]).catch(() => undefined);
    return `pane ${pid}\n${ps?.stdout ?? ''}`;
  };
  const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`terminal: no ${what} within ${timeoutMs} ms; ${await processes()}\nthe screen shows:\n${(await screen()).trimEnd()}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  return {
    screen,
    waitFor: (pattern, timeoutMs = 30_000) => until(`${pattern}`, async () => {
      const text = await screen();
      return pattern.test(text) ? text : undefined;
    }, timeoutMs),
    press: async (...keys) => {
      await tmux('send-keys', '-t', 'spark', ...keys);
    },
    exitCode: (timeoutMs = 30_000) => until('exit', async () => {
      // A process killed by a signal has no status: report it as a shell does (128 + the signal),
      // e.g. a Ctrl-C that lands before the prompt has put the terminal in raw mode.
      const [dead, status, signal, pid] = (await tmux('display-message', '-p', '-t', 'spark', '#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}|#{pane_pid}')).trim().split('|');
      if (dead === '1' && (status || signal)) return status ? Number(status) : 128 + Number(signal);
      // Under load tmux can see the terminal close yet not reap the process for a long time: read
      // the exit status the kernel keeps for the unreaped (zombie) process instead.
      return zombieExit(Number(pid));
    }, timeoutMs),
    close: async () => {
      await tmux('kill-server').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The exit status of an exited but unreaped process (proc(5): /proc/PID/stat, field 52), as a shell reports it. */
function zombieExit(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces): state is field 3, exit_code field 52.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
  if (fields[0] !== 'Z') return undefined;
  const wait = Number(fields[52 - 3]);
  return (wait & 0x7f) === 0 ? (wait >> 8) & 0xff : 128 + (wait & 0x7f);
}
