/**
 * Test helpers for the local runtime: throwaway data directories (each with its own embedded
 * server, stopped and removed afterwards, also its /var/lib/spark cluster when run as root),
 * running a shell invocation the way `spark shell` does, and inspecting the server as superuser.
 */
import { capture } from '../support/capture.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { ShellInvocation } from '../../src/core/ports.js';
import { ROOT_BASE, stopEmbedded } from '../../src/runtimes/local/embedded.js';

export const isRoot = process.getuid?.() === 0;

export interface TempData {
  /** The directory holding the data dir (mode 755 unless asked otherwise). */
  base: string;
  dataDir: string;
  config(env?: Record<string, string>): Promise<Config>;
  cleanup(): Promise<void>;
}

/** A fresh SPARK_DATA_DIR. `parentMode` 0o700 puts it out of reach of the server's OS user (as root). */
export function tempData(options: { parentMode?: number } = {}): TempData {
  const base = mkdtempSync(join(tmpdir(), 'spark-local-'));
  chmodSync(base, options.parentMode ?? 0o755);
  const dataDir = join(base, 'data');
  return {
    base,
    dataDir,
    config: (env = {}) => loadConfig({ env: { SPARK_DATA_DIR: dataDir, SPARK_CONFIG: join(base, 'no-config.json'), HOME: base, ...env } }),
    async cleanup() {
      await stopEmbedded(dataDir).catch(() => {});
      const cluster = clusterOf(dataDir);
      if (cluster?.startsWith(`${ROOT_BASE}/`)) rmSync(dirname(cluster), { recursive: true, force: true });
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export function clusterOf(dataDir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dataDir, 'embedded.json'), 'utf8')) as { cluster: string }).cluster;
  } catch {
    return undefined;
  }
}

export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(clusterOf(dataDir)!, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a ShellInvocation as the CLI's runAttached does (its env over ours), capturing output. */
export function runInvocation(invocation: ShellInvocation, input = ''): Promise<Ran> {
  return capture(invocation.program, invocation.args, { cwd: invocation.cwd, env: { ...process.env, ...invocation.env }, input });
}

/** A superuser connection to the embedded server, to look at what spark did from the outside. */
export async function superuser(dataDir: string, port: number, database = 'postgres'): Promise<pg.Client> {
  const { default: pgModule } = await import('pg');
  const password = readFileSync(join(dataDir, 'postgres-superuser'), 'utf8').trim();
  const client = new pgModule.Client({ host: '127.0.0.1', port, user: 'postgres', password, database });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Poll `condition` until it holds; fail with `what` at the deadline. No fixed sleeps. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await delay(20);
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A git repository with one commit, at `dir`. */
export function makeRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'README.md'), '# hello from the repo\n');
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'init');
  return dir;
}

export function exists(path: string): boolean {
  return existsSync(path);
}
