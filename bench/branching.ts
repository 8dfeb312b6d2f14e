/**
 * `npm run bench -- branching` (or `npm run bench:branching`): database branching on real
 * PostgreSQL 18 and 15, as the spark role through the database layer — snapshot, restore and fork
 * of databases of 10 MB and 100 MB (1 GB with BENCH_BRANCH_SIZES=10,100,1000), filled with
 * generate_series; CREATE DATABASE … TEMPLATE with STRATEGY FILE_COPY against WAL_LOG; and a
 * `pg_dump -Fc | pg_restore` copy for comparison. Medians of BENCH_BRANCH_RUNS runs (default 5).
 * Writes bench/branching-results.json and prints a Markdown table.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import type { SparkDatabases } from '../src/database/sparks.js';
import { openSparkDatabases } from '../src/database/sparks.js';
import { describeMachine } from './lib/machine.js';
import { ROOT } from './lib/paths.js';
import { startPostgres, type PgServer } from './lib/postgres.js';
import { failureReason, rssMethod, run, succeeded } from './lib/proc.js';
import { SPARK } from './lib/paths.js';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { median } from './lib/stats.js';
import { makeWorkspace } from './lib/workspace.js';

const RUNS = Number(process.env.BENCH_BRANCH_RUNS ?? 5);
const SIZES_MB = (process.env.BENCH_BRANCH_SIZES ?? '10,100').split(',').map(Number);
const PG_DUMP_DIRS: Record<number, string> = { 15: '/usr/lib/postgresql/15/bin' };
const log = (message: string): void => void process.stderr.write(`[bench:branching] ${message}\n`);

interface Row {
  server: string;
  sizeMB: number;
  actualBytes: number;
  what: string;
  medianMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  note?: string;
}

async function time(runs: number, body: (i: number) => Promise<void>, between?: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await body(i);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    await between?.();
  }
  return times;
}

/** A spark database of about `mb` MB: one table of generate_series rows (≈ 120 bytes each with overhead). */
async function fill(client: Client, mb: number): Promise<void> {
  const rows = Math.round((mb * 1024 * 1024) / 120);
  await client.query(`CREATE TABLE bench_rows AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS body FROM generate_series(1, ${rows}) g`);
  await client.query('CHECKPOINT').catch(() => {}); // as the spark role: not allowed before PG 15's pg_checkpoint; ignored
}

function pgDumpRestore(binDir: string, s: PgServer['spark'], from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PGPASSWORD: s.password, PGHOST: s.host, PGPORT: String(s.port), PGUSER: s.user };
    const dump = spawn(join(binDir, 'pg_dump'), ['-Fc', '-Z0', from], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const restore = spawn(join(binDir, 'pg_restore'), ['--no-owner', '-d', to], { env, stdio: ['pipe', 'ignore', 'inherit'] });
    dump.stdout.pipe(restore.stdin);
    let pending = 2;
    const done = (code: number | null): void => {
      if (code !== 0) reject(new Error(`pg_dump|pg_restore exit ${code}`));
      else if (--pending === 0) resolve();
    };
    dump.on('close', done);
    restore.on('close', done);
  });
}

async function benchServer(server: PgServer, rows: Row[]): Promise<void> {
  const s = server.spark;
  const db: SparkDatabases = openSparkDatabases({ host: s.host, port: s.port, user: s.user, password: s.password, database: s.database, sslmode: 'disable', sparkHost: s.host, isolation: 'shared', connectionLimit: 20 }, { runtime: 'local' });
  const admin = await db.connection();
  const major = Number(server.version.split('.')[0]);
  const method = (await admin.query(`SELECT current_setting('file_copy_method', true) AS m`)).rows[0]?.m ?? null;
  try {
    for (const mb of SIZES_MB) {
      const name = `bench-${mb}mb`;
      const made = await db.provision(name, { createdAt: new Date().toISOString() });
      const { default: pg } = await import('pg');
      const app = new pg.Client({ connectionString: made.databaseUrl.replace(s.host, s.host) });
      await app.connect();
      log(`${server.label}: filling ${name} with ~${mb} MB`);
      await fill(app, mb);
      await app.end();
      const actualBytes = Number((await admin.query(`SELECT pg_database_size($1) AS n`, [name])).rows[0].n);
      const add = (what: string, times: number[] | null, note?: string): void => {
        rows.push({ server: `${server.label} ${server.version}`, sizeMB: mb, actualBytes, what, medianMs: times ? median(times) : null, minMs: times ? Math.min(...times) : null, maxMs: times ? Math.max(...times) : null, ...(note ? { note } : {}) });
        log(`${server.label} ${mb} MB ${what}: ${times ? `${median(times).toFixed(0)} ms` : note}`);
      };

      // Warm-up: the first copy after the fill pays the checkpoint of the fill's dirty pages.
      await db.branches.dropSnapshot(name, (await db.branches.snapshot(name, { createdAt: new Date().toISOString() })).id);
      const ids: string[] = [];
      let strategy = '';
      add('snapshot (spark db snapshot)', await time(RUNS, async () => {
        const snap = await db.branches.snapshot(name, { createdAt: new Date().toISOString() });
        ids.push(snap.id);
        strategy = snap.strategy;
      }));
      rows[rows.length - 1]!.what += ` [${strategy}]`;
      add('restore (spark db restore)', await time(RUNS, async (i) => void (await db.branches.restore(name, ids[i % ids.length]!))));
      for (const id of ids) await db.branches.dropSnapshot(name, id);
      add('fork database (create --from)', await time(RUNS, async (i) => {
        const plan = await db.plan(`${name}-fork${i}`, { createdAt: new Date().toISOString() });
        await db.create(plan, { createdAt: new Date().toISOString(), source: { kind: 'spark', name } });
      }, async () => {}));
      for (let i = 0; i < RUNS; i++) await db.drop(`${name}-fork${i}`);

      for (const strategy of major >= 15 ? ['FILE_COPY', 'WAL_LOG'] : ['FILE_COPY']) {
        add(`CREATE DATABASE … TEMPLATE, STRATEGY ${strategy}${strategy === 'FILE_COPY' && method ? ` (file_copy_method=${method})` : ''}`, await time(RUNS, async () => {
          await admin.query(`CREATE DATABASE "${name}@raw" TEMPLATE "${name}" STRATEGY ${strategy}`);
        }, async () => void (await admin.query(`DROP DATABASE "${name}@raw"`))));
      }
      const dumpDir = PG_DUMP_DIRS[major];
      if (dumpDir && existsSync(join(dumpDir, 'pg_dump'))) {
        add('pg_dump -Fc | pg_restore (comparison)', await time(Math.min(RUNS, 3), async () => {
          await admin.query(`CREATE DATABASE "${name}@dump"`);
          await pgDumpRestore(dumpDir, s, name, `${name}@dump`);
        }, async () => void (await admin.query(`DROP DATABASE "${name}@dump"`))));
      } else {
        add('pg_dump -Fc | pg_restore (comparison)', null, `not available: no pg_dump ${major} on this machine`);
      }
      await db.drop(name);
    }
  } finally {
    await db.close();
  }
}

/**
 * The whole `spark create --from` (spawn to exit, local runtime on its embedded PostgreSQL 18) of a
 * 10 MB spark against a plain `spark create`, runs alternated; each spark deleted after its run.
 */
async function benchForkCommand(rows: Row[]): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'spark-bench-fork-'));
  chmodSync(base, 0o755);
  const env = { PATH: process.env.PATH, HOME: base, SPARK_CONFIG: join(base, 'none.json'), KUBECONFIG: join(base, 'no-kube'), SPARK_DATA_DIR: join(base, 'data'), SPARK_RUNTIME: 'local', XDG_CACHE_HOME: join(base, 'cache') };
  const spark = async (...args: string[]) => {
    const outcome = await run(process.execPath, [SPARK, ...args], { env, timeoutMs: 120_000 });
    if (!succeeded(outcome)) throw new Error(`spark ${args.join(' ')}: ${failureReason(outcome)}`);
    return outcome.ms;
  };
  try {
    await spark('create', 'parent', '--no-shell');
    const rowsNeeded = Math.round((10 * 1024 * 1024) / 120);
    await spark('shell', 'parent', '--', 'psql', '-X', '-q', '-c', `CREATE TABLE bench_rows AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS body FROM generate_series(1, ${rowsNeeded}) g`);
    await spark('create', 'warm', '--no-shell');
    await spark('delete', 'warm', '--yes');
    const plain: number[] = [];
    const fork: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      plain.push(await spark('create', `plain${i}`, '--no-shell'));
      fork.push(await spark('create', `fork${i}`, '--from', 'parent', '--no-shell'));
      await spark('delete', `plain${i}`, `fork${i}`, '--yes');
    }
    const add = (what: string, times: number[]): void => {
      rows.push({ server: 'local runtime, PG18 (embedded)', sizeMB: 10, actualBytes: 0, what, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) });
      log(`local ${what}: ${median(times).toFixed(0)} ms`);
    };
    add('`spark create --no-shell` (whole process)', plain);
    add('`spark create --from parent --no-shell` (whole process)', fork);
    rows.push({ server: 'local runtime, PG18 (embedded)', sizeMB: 10, actualBytes: 0, what: 'ratio fork / plain create (budget ≤ 1.5×)', medianMs: null, minMs: null, maxMs: null, note: `${(median(fork) / median(plain)).toFixed(2)}×` });
    await spark('delete', 'parent', '--yes');
    await spark('local', 'stop');
  } finally {
    await run(process.execPath, [SPARK, 'local', 'stop'], { env, timeoutMs: 60_000 }).catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
  }
}

function markdown(rows: Row[]): string {
  const ms = (v: number | null): string => (v === null ? '' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);
  const lines = ['| server | database | what | median | min–max |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.server} | ${r.sizeMB} MB${r.actualBytes ? ` (${(r.actualBytes / 1024 / 1024).toFixed(0)} MB on disk)` : ''} | ${r.what} | ${r.note ?? ms(r.medianMs)} | ${r.minMs === null ? '' : `${ms(r.minMs)}–${ms(r.maxMs)}`} |`);
  return lines.join('\n');
}

export async function benchBranching(): Promise<void> {
  const ws = makeWorkspace();
  const postgres = await startPostgres(ws);
  const rows: Row[] = [];
  try {
    if (process.env.BENCH_BRANCH_FORK !== '0') await benchForkCommand(rows);
    for (const server of postgres.servers) await benchServer(server, rows);
  } finally {
    await postgres.stop();
    ws.remove();
  }
  const results = { at: new Date().toISOString(), machine: describeMachine(ROOT, rssMethod()), loadavg: loadavg(), runs: RUNS, skipped: postgres.skipped, rows };
  writeFileSync(join(ROOT, 'bench/branching-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${markdown(rows)}\n\nload average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchBranching();
