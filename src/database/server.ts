/**
 * A PostgreSQL server process that spark runs itself: the local runtime's embedded server and the
 * test servers. Password authentication only (scram-sha-256, never trust), TCP on loopback only.
 *
 * PostgreSQL refuses to run as root. When we are root, initdb and postgres run as an unprivileged
 * OS user (`postgres` by default) through spawn's uid/gid; the data directory is handed to that
 * user, and every directory above it (and the binaries) must be traversable by it — true under
 * /tmp, not under /root. As a normal user everything runs as that user.
 */
import { createServer as createNetServer } from 'node:net';
import { processRunning } from '../process.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeFileSync, mkdirSync, fstatSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SparkError } from '../errors.js';
import { registerSecret } from '../redact.js';

export interface ServerOptions {
  /** Directory holding initdb and postgres. */
  binDir: string;
  dataDir: string;
  port: number;
  /** Listen address; loopback unless told otherwise. */
  host?: string;
  /** Superuser made by initdb, with this password (used only at initdb). */
  superuser: string;
  password: string;
  /** Unix socket directory (-k); defaults to the data directory. */
  socketDir?: string;
  /** Extra server settings, e.g. { log_statement: 'all' }. */
  settings?: Record<string, string>;
  /** Server output goes here; defaults to `<dataDir>.log`. Opened by us, so always readable by us. */
  logFile?: string;
  /** OS user the server runs as when we are root. */
  runAs?: string;
  startTimeoutMs?: number;
  /** Keep running after this process exits (the local runtime starts it on demand). */
  detached?: boolean;
}

export interface RunningServer {
  pid: number;
  host: string;
  port: number;
  dataDir: string;
  logFile: string;
  stop(options?: { timeoutMs?: number }): Promise<boolean>;
}

/** An OS user a server runs as. */
export interface Identity {
  uid: number;
  gid: number;
  name: string;
}

/** The unprivileged user to run as, or undefined when we are not root. */
export function serverIdentity(runAs = 'postgres'): Identity | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[0] === runAs);
  if (!line) {
    throw new SparkError(`PostgreSQL refuses to run as root, and there is no OS user "${runAs}" to run it as.`, {
      hint: `Create one (useradd --system --user-group ${runAs}), or run spark as a normal user.`,
      code: 'PG_SERVER_NO_USER',
    });
  }
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid), name: runAs };
}

/** The first directory above `path` that `who` cannot enter (owner, primary group or other x bit), if any. */
function closedDirectory(path: string, who: Identity): string | undefined {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    if (existsSync(dir)) {
      const s = statSync(dir);
      const bit = s.uid === who.uid ? 0o100 : s.gid === who.gid ? 0o010 : 0o001;
      if (!(s.mode & bit)) return dir;
    }
    if (dir === dirname(dir)) return undefined;
  }
}

/** Every directory above `path` lets `who` through. */
export function traversable(path: string, who: Identity): boolean {
  return closedDirectory(path, who) === undefined;
}

/** Every directory on the way to `path` must let `who` through, or initdb/postgres fail obscurely. */
function assertTraversable(path: string, who: Identity): void {
  const dir = closedDirectory(path, who);
  if (dir === undefined) return;
  throw new SparkError(`The PostgreSQL server runs as the OS user ${who.name}, which cannot enter ${dir}.`, {
    hint: `Choose a directory ${who.name} can reach (e.g. under /tmp or /var/lib), or allow it: chmod o+x ${dir}`,
    code: 'PG_SERVER_PATH',
  });
}

function ownDirectory(path: string, who: Identity | undefined): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (who) {
    chownSync(path, who.uid, who.gid);
    assertTraversable(path, who);
  }
}

export function logTail(logFile: string, bytes = 2000): string {
  try {
    const fd = openSync(logFile, 'r');
    try {
      const size = fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      return buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

function run(program: string, args: string[], who: Identity | undefined, cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(program, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'], ...(who ? { uid: who.uid, gid: who.gid } : {}) });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code: code ?? 1, output }));
  });
}

/** initdb with scram-sha-256 and a password file (deleted after). Returns false if already initialised. */
export async function initServer(options: ServerOptions): Promise<boolean> {
  if (existsSync(join(options.dataDir, 'PG_VERSION'))) return false;
  registerSecret(options.password);
  const who = serverIdentity(options.runAs);
  if (who) assertTraversable(join(options.binDir, 'initdb'), who);
  ownDirectory(options.dataDir, who);
  // The password travels in a file readable only by the server's user, never on a command line.
  const pwDir = await mkdtemp(join(tmpdir(), 'spark-initdb-'));
  const pwFile = join(pwDir, 'pwfile');
  try {
    writeFileSync(pwFile, `${options.password}\n`, { mode: 0o600 });
    if (who) {
      chownSync(pwDir, who.uid, who.gid);
      chownSync(pwFile, who.uid, who.gid);
    }
    const args = ['-D', options.dataDir, '-U', options.superuser, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--no-locale'];
    const result = await run(join(options.binDir, 'initdb'), args, who, dirname(resolve(options.dataDir)));
    if (result.code !== 0) {
      throw new SparkError(`initdb failed for ${options.dataDir} (exit ${result.code}).`, { hint: `Its output:\n${result.output.slice(-2000)}`, code: 'PG_INITDB_FAILED' });
    }
    return true;
  } finally {
    await rm(pwDir, { recursive: true, force: true });
  }
}

export interface PostmasterPid {
  pid: number;
  port: number;
  socketDir: string;
  listen: string;
  /** "starting", "ready", "stopping", "standby" (PostgreSQL 10+). */
  status: string;
}

export function readPostmasterPid(dataDir: string): PostmasterPid | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  return { pid: Number(lines[0]), port: Number(lines[3]), socketDir: lines[4] ?? '', listen: lines[5] ?? '', status: (lines[7] ?? '').trim() };
}

/** Is `pid` a live postgres process? Guards against a recycled pid in a stale postmaster.pid. */
export function isPostgresProcess(pid: number): boolean {
  if (!processRunning(pid)) return false;
  try {
    return /postgres/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return !existsSync('/proc/self'); // no procfs: trust kill(0)
  }
}

export type ServerState = 'uninitialised' | 'stopped' | 'running' | 'stale';

/** "stale": a postmaster.pid whose process is gone (a crash or a reboot); start removes it. */
export function serverState(dataDir: string): ServerState {
  if (!existsSync(join(dataDir, 'PG_VERSION'))) return 'uninitialised';
  const pid = readPostmasterPid(dataDir);
  if (!pid) return 'stopped';
  return isPostgresProcess(pid.pid) ? 'running' : 'stale';
}

export function serverVersion(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Start postgres on an initialised data directory and wait until it accepts connections. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const logFile = options.logFile ?? `${resolve(options.dataDir)}.log`;
  const state = serverState(options.dataDir);
  if (state === 'uninitialised') throw new SparkError(`${options.dataDir} is not a PostgreSQL data directory.`, { hint: 'Initialise it first (initServer).', code: 'PG_SERVER_UNINITIALISED' });
  if (state === 'running') {
    throw new SparkError(`A PostgreSQL server is already running on ${options.dataDir} (pid ${readPostmasterPid(options.dataDir)?.pid}).`, { hint: 'Use it, or stop it first.', code: 'PG_SERVER_RUNNING' });
  }
  if (state === 'stale') unlinkSync(join(options.dataDir, 'postmaster.pid'));

  const who = serverIdentity(options.runAs);
  if (who) assertTraversable(join(options.binDir, 'postgres'), who);
  const socketDir = options.socketDir ?? options.dataDir;
  if (socketDir !== options.dataDir) ownDirectory(socketDir, who);
  const args = ['-D', options.dataDir, '-p', String(options.port), '-h', host, '-k', socketDir];
  for (const [key, value] of Object.entries(options.settings ?? {})) args.push('-c', `${key}=${value}`);

  mkdirSync(dirname(logFile), { recursive: true });
  const logFd = openSync(logFile, 'a', 0o600);
  const logStart = fstatSync(logFd).size;
  let child: ChildProcess;
  try {
    child = spawn(join(options.binDir, 'postgres'), args, {
      cwd: dirname(resolve(options.dataDir)),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
      stdio: ['ignore', logFd, logFd],
      detached: Boolean(options.detached),
      ...(who ? { uid: who.uid, gid: who.gid } : {}),
    });
  } finally {
    closeSync(logFd);
  }
  if (options.detached) child.unref();
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = signal ? `signal ${signal}` : `exit code ${code}`));
  const spawnError = new Promise<Error>((resolveError) => child.on('error', resolveError));
  let failure: Error | undefined;
  void spawnError.then((e) => (failure = e));

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  const failed = (why: string): SparkError => {
    const fromThisStart = logTail(logFile, Math.min(4000, statSize(logFile) - logStart));
    return new SparkError(`PostgreSQL did not start on ${host}:${options.port} (${why}).`, { hint: `Server log (${logFile}):\n${fromThisStart.trim() || '(empty)'}`, code: 'PG_SERVER_START_FAILED' });
  };
  for (;;) {
    if (failure) throw failed(failure.message);
    if (exited) throw failed(`postgres ended with ${exited}`);
    const pid = readPostmasterPid(options.dataDir);
    if (pid && pid.pid === child.pid && pid.status === 'ready') break;
    if (Date.now() > deadline) {
      child.kill('SIGQUIT');
      throw failed(`not ready within ${(options.startTimeoutMs ?? 30_000) / 1000} s`);
    }
    await delay(25);
  }
  const pid = child.pid!;
  return { pid, host, port: options.port, dataDir: options.dataDir, logFile, stop: (o) => stopServer(options.dataDir, o) };
}

function statSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isPostgresProcess(pid)) {
    if (Date.now() > deadline) return false;
    await delay(25);
  }
  return true;
}

/** Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL. False if nothing was running. */
export async function stopServer(dataDir: string, options: { timeoutMs?: number } = {}): Promise<boolean> {
  const pid = readPostmasterPid(dataDir)?.pid;
  if (!pid || !isPostgresProcess(pid)) return false;
  for (const [signal, ms] of [['SIGINT', options.timeoutMs ?? 15_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return true;
    }
    if (await waitGone(pid, ms)) return true;
  }
  throw new SparkError(`PostgreSQL (pid ${pid}) on ${dataDir} did not stop.`, { hint: `Stop it by hand: kill -9 ${pid}`, code: 'PG_SERVER_STOP_FAILED' });
}

/** A random password for a server superuser. */
export function randomServerPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** A port nothing listens on right now, on loopback (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
