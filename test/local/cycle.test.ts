/**
 * The local runtime's whole cycle against a real embedded server in a temp SPARK_DATA_DIR:
 * claim → create (with a cloned repo) → list/status → shell (psql with $DATABASE_URL) → delete,
 * through the core use-cases the CLI calls. As whoever runs the tests (root: the server runs as
 * the OS user postgres; a normal user: as that user).
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Backend } from '../../src/core/backend.js';
import { createSpark } from '../../src/core/create.js';
import { deleteSpark } from '../../src/core/delete.js';
import { listSparks } from '../../src/core/list.js';
import { shellInto } from '../../src/core/shell.js';
import { SparkError } from '../../src/errors.js';
import { redact } from '../../src/redact.js';
import { embeddedStatus, hasLocalSpark, hasLocalSparks, openLocalBackend } from '../../src/runtimes/local/index.js';
import { exists, makeRepo, runInvocation, superuser, tempData, type TempData } from './helpers.js';

const input = { timeoutMs: 5_000, isolation: 'shared' as const, creator: 'tester', anthropicApiKey: 'sk-ant-test-key-123456', githubToken: 'ghp_testtoken123456' };
/** psql "$DATABASE_URL" as a user types it in the spark's shell; the SQL is passed as $1. */
const PSQL = ['sh', '-c', 'psql -X -tA -F "|" -c "$1" "$DATABASE_URL"', 'sh'];
const WHO = `select current_user, current_database(), (select rolsuper from pg_roles where rolname = current_user)`;

describe('local runtime: the whole cycle', () => {
  let data: TempData;
  let backend: Backend;
  let port: number;

  before(async () => {
    data = tempData();
    backend = await openLocalBackend(await data.config());
    const status = await embeddedStatus(data.dataDir);
    assert.ok(status.running, 'openLocalBackend starts the embedded server');
    port = status.port!;
  });
  after(async () => {
    await backend?.close();
    await data?.cleanup();
  });

  test('first use initialises the server: secrets in 600 files, password auth, a spark role that is not a superuser', async () => {
    for (const file of ['postgres-superuser', 'spark-role-password', 'embedded.json']) {
      assert.equal(statSync(join(data.dataDir, file)).mode & 0o777, 0o600, file);
    }
    const status = await embeddedStatus(data.dataDir);
    assert.match(status.version ?? '', /^18\./);
    const su = await superuser(data.dataDir, port);
    try {
      const role = await su.query(`SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = 'spark'`);
      assert.deepEqual(role.rows[0], { rolsuper: false, rolcreatedb: true, rolcreaterole: false, rolcanlogin: true });
      const hba = await su.query(`SELECT DISTINCT auth_method FROM pg_hba_file_rules`);
      assert.deepEqual(hba.rows.map((r: { auth_method: string }) => r.auth_method), ['scram-sha-256'], 'no trust, password auth only');
      const listen = await su.query(`SHOW listen_addresses`);
      assert.equal(listen.rows[0].listen_addresses, '127.0.0.1');
    } finally {
      await su.end();
    }
    // Wrong password is refused (password auth really applies).
    const { default: pg } = await import('pg');
    const bad = new pg.Client({ host: '127.0.0.1', port, user: 'spark', password: 'wrong', database: 'spark_admin' });
    await assert.rejects(bad.connect(), /password authentication failed/);
  });

  test('create with --repo: workspace, env file 600, spark.json without secrets, listed Running, shown with every object', async () => {
    const repo = makeRepo(join(data.base, 'repo'));
    const result = await createSpark(backend, { ...input, name: 'alpha', repo });
    assert.equal(result.spark.state, 'Running');
    const ws = join(data.dataDir, 'sparks', 'alpha');
    assert.equal(readFileSync(join(ws, 'project', 'README.md'), 'utf8'), '# hello from the repo\n');
    assert.ok(exists(join(ws, 'home')));
    assert.equal(statSync(join(ws, 'spark.env')).mode & 0o777, 0o600);
    const meta = JSON.parse(readFileSync(join(ws, 'spark.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(meta).sort(), ['createdAt', 'creator', 'database', 'isolation', 'name', 'repo', 'runtime']);
    assert.equal(meta.repo, repo);
    const metaText = readFileSync(join(ws, 'spark.json'), 'utf8');
    for (const secret of [input.anthropicApiKey, input.githubToken, readFileSync(join(data.dataDir, 'spark-role-password'), 'utf8').trim()]) assert.ok(!metaText.includes(secret));

    const listing = await listSparks([backend]);
    const row = listing.sparks.find((s) => s.name === 'alpha');
    assert.equal(row?.state, 'Running');
    assert.equal(row?.runtime, 'local');
    assert.equal(row?.repo, repo);
    assert.equal(row?.database?.owner, 'spark');
    assert.deepEqual(listing.unavailable, []);

    const status = await backend.runtime.status('alpha');
    assert.equal(status?.state, 'Running');
    assert.ok(status!.objects.every((o) => o.exists), JSON.stringify(status!.objects));
    assert.deepEqual(status!.objects.map((o) => o.kind).slice(0, 3), ['workspace', 'env file', 'project']);
    assert.deepEqual(status!.events, []);
    assert.equal(await hasLocalSparks(await data.config()), true);
    assert.equal(await hasLocalSpark(await data.config(), 'alpha'), true);
    assert.equal(await hasLocalSpark(await data.config(), 'nope'), false);
    assert.equal(await hasLocalSpark(await data.config(), '../alpha'), false);
  });

  test('claiming a taken name fails with NAME_TAKEN and the delete hint', async () => {
    const plan = await backend.databases.plan('alpha', { createdAt: 'x' });
    await assert.rejects(
      backend.runtime.claim({ name: 'alpha', databaseName: 'alpha', databaseUrl: plan.databaseUrl, isolation: 'shared', createdAt: 'x', creator: 'me' }),
      (error: unknown) => error instanceof SparkError && error.code === 'NAME_TAKEN' && /spark delete alpha/.test(error.hint ?? ''),
    );
    await assert.rejects(createSpark(backend, { ...input, name: 'alpha' }), (e: unknown) => e instanceof SparkError && e.code === 'NAME_TAKEN');
    assert.ok(exists(join(data.dataDir, 'sparks', 'alpha', 'spark.json')), 'the existing spark is untouched');
  });

  test('shell runs the command directly (no shell) in project/, with the spark variables; psql "$DATABASE_URL" connects as the non-superuser spark role', async () => {
    const inv = await shellInto(backend, 'alpha', [...PSQL, WHO]);
    assert.equal(inv.program, 'sh');
    assert.equal(inv.cwd, join(data.dataDir, 'sparks', 'alpha', 'project'));
    assert.equal(inv.env?.SPARK_NAME, 'alpha');
    assert.equal(inv.env?.ANTHROPIC_API_KEY, input.anthropicApiKey);
    assert.equal(inv.env?.GITHUB_TOKEN, input.githubToken);
    assert.equal(inv.env?.HOME, undefined, 'HOME is left alone');
    const ran = await runInvocation(inv);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout.trim(), 'spark|alpha|f');

    // Words with spaces and quotes reach the program unchanged: no shell re-parses them.
    const echo = await runInvocation(await backend.runtime.shell('alpha', ['printf', '%s\n', "it's a $HOME; `x`"]));
    assert.equal(echo.stdout, "it's a $HOME; `x`\n");
    // From inside the workspace, the way a user types it.
    const viaShell = await runInvocation(await backend.runtime.shell('alpha', ['sh', '-c', 'psql -X -tA -c "select current_database()" "$DATABASE_URL" && pwd']));
    assert.equal(viaShell.stdout, `alpha\n${join(data.dataDir, 'sparks', 'alpha', 'project')}\n`);
    // One word holding a command line runs through /bin/sh -c, as ssh runs it on a Kubernetes spark.
    const line = await backend.runtime.shell('alpha', ['psql -X -tA -c "select current_database()" "$DATABASE_URL"']);
    assert.deepEqual([line.program, line.args[0]], ['/bin/sh', '-c']);
    assert.equal((await runInvocation(line)).stdout, 'alpha\n');
    // The libpq variables come from DATABASE_URL: a bare psql (or an empty URI) reaches the spark's database.
    for (const args of [['psql', '-X', '-tA', '-c', 'select current_user'], ['psql', 'postgres:///', '-X', '-tA', '-c', 'select current_user']]) {
      const bare = await runInvocation(await backend.runtime.shell('alpha', args));
      assert.equal(bare.stdout, 'spark\n', bare.stderr);
    }
    // The exit code is the command's.
    assert.equal((await runInvocation(await backend.runtime.shell('alpha', ['sh', '-c', 'exit 7']))).code, 7);
  });

  test('shell without a command opens $SHELL (else /bin/sh)', async () => {
    const backendWithShell = await openLocalBackend(await data.config(), { ...process.env, SHELL: '/bin/bash' });
    try {
      const inv = await backendWithShell.runtime.shell('alpha', []);
      assert.deepEqual([inv.program, inv.args], ['/bin/bash', []]);
      const { SHELL: _shell, ...noShell } = process.env;
      const fallback = await (await openLocalBackend(await data.config(), noShell)).runtime.shell('alpha', []);
      assert.equal(fallback.program, '/bin/sh');
      const ran = await runInvocation(inv, 'psql -X -tA -c "select 40 + 2" "$DATABASE_URL"\n');
      assert.equal(ran.stdout.trim(), '42', ran.stderr);
    } finally {
      await backendWithShell.close();
    }
  });

  test("two sparks' databases are separate: CONNECT revoked from PUBLIC, neither role a superuser, another role cannot open them", async () => {
    await createSpark(backend, { ...input, name: 'beta' });
    const su = await superuser(data.dataDir, port);
    try {
      const rows = await su.query(`SELECT datname, pg_get_userbyid(datdba) AS owner, has_database_privilege('public', oid, 'CONNECT') AS public_connect, shobj_description(oid, 'pg_database') AS tag FROM pg_database WHERE datname IN ('alpha', 'beta') ORDER BY 1`);
      assert.equal(rows.rows.length, 2);
      for (const row of rows.rows as Array<{ owner: string; public_connect: boolean; tag: string }>) {
        assert.equal(row.owner, 'spark');
        assert.equal(row.public_connect, false);
        assert.match(row.tag, /^spark:/);
      }
      await su.query(`CREATE ROLE outsider LOGIN PASSWORD 'outsider-pw'`);
      const { default: pg } = await import('pg');
      for (const db of ['alpha', 'beta']) {
        const c = new pg.Client({ host: '127.0.0.1', port, user: 'outsider', password: 'outsider-pw', database: db });
        await assert.rejects(c.connect(), /permission denied for database/);
      }
      await su.query('DROP ROLE outsider');
    } finally {
      await su.end();
    }
    const beta = await runInvocation(await backend.runtime.shell('beta', [...PSQL, WHO]));
    assert.equal(beta.stdout.trim(), 'spark|beta|f');
    // The data written in one is not in the other.
    await runInvocation(await backend.runtime.shell('alpha', [...PSQL, 'create table only_alpha(x int)']));
    const inBeta = await runInvocation(await backend.runtime.shell('beta', [...PSQL, "select count(*) from pg_tables where tablename = 'only_alpha'"]));
    assert.equal(inBeta.stdout.trim(), '0');
  });

  test('isolation "role": each spark gets its own login role (not a superuser) that cannot open the other\'s database; delete removes the role', async () => {
    const roleBackend = await openLocalBackend(await data.config({ SPARK_DB_ISOLATION: 'role' }));
    try {
      await createSpark(roleBackend, { ...input, isolation: 'role', name: 'gamma' });
      await createSpark(roleBackend, { ...input, isolation: 'role', name: 'delta' });
      const gamma = await roleBackend.runtime.shell('gamma', []);
      const delta = await roleBackend.runtime.shell('delta', []);
      assert.equal((await runInvocation({ ...gamma, program: PSQL[0]!, args: [...PSQL.slice(1), WHO] })).stdout.trim(), 'spark_gamma|gamma|f');
      assert.equal((await runInvocation({ ...delta, program: PSQL[0]!, args: [...PSQL.slice(1), WHO] })).stdout.trim(), 'spark_delta|delta|f');
      // gamma's credentials against delta's database.
      const cross = new URL(gamma.env!.DATABASE_URL!);
      cross.pathname = '/delta';
      const { default: pg } = await import('pg');
      await assert.rejects(new pg.Client({ connectionString: cross.toString() }).connect(), /permission denied for database "delta"/);

      await deleteSpark(roleBackend, 'gamma', { keepDatabase: false });
      await deleteSpark(roleBackend, 'delta', { keepDatabase: false });
      const su = await superuser(data.dataDir, port);
      try {
        const left = await su.query(`SELECT rolname FROM pg_roles WHERE rolname IN ('spark_gamma', 'spark_delta') UNION ALL SELECT datname FROM pg_database WHERE datname IN ('gamma', 'delta')`);
        assert.deepEqual(left.rows, []);
      } finally {
        await su.end();
      }
    } finally {
      await roleBackend.close();
    }
  });

  test('a failing clone is a SparkError with git\'s message and the fix; nothing is left behind', async () => {
    const missing = join(data.base, 'no-such-repo');
    await assert.rejects(createSpark(backend, { ...input, name: 'broken', repo: missing }), (error: unknown) => {
      assert.ok(error instanceof SparkError);
      assert.equal(error.code, 'CLONE_FAILED');
      assert.match(error.message, /Could not clone .*no-such-repo.*(does not exist|not found|not appear to be a git repository)/);
      assert.match(error.message, /Nothing of "broken" was left behind/);
      assert.match(error.hint ?? '', /git clone/);
      return true;
    });
    assert.equal(exists(join(data.dataDir, 'sparks', 'broken')), false);
    assert.equal(await backend.databases.get('broken'), undefined);

    // A file:// URL works too.
    const repo = makeRepo(join(data.base, 'repo2'));
    await createSpark(backend, { ...input, name: 'fileurl', repo: `file://${repo}` });
    assert.ok(exists(join(data.dataDir, 'sparks', 'fileurl', 'project', 'README.md')));
    await deleteSpark(backend, 'fileurl', { keepDatabase: false });
  });

  test('a workspace without spark.json (killed mid-create) is listed Incomplete and can be deleted', async () => {
    mkdirSync(join(data.dataDir, 'sparks', 'halfway'));
    const listed = (await backend.runtime.list()).find((s) => s.name === 'halfway');
    assert.equal(listed?.state, 'Incomplete');
    assert.match(listed?.reason ?? '', /spark\.json/);
    const status = await backend.runtime.status('halfway');
    assert.equal(status?.state, 'Incomplete');
    await assert.rejects(shellInto(backend, 'halfway', []), (e: unknown) => e instanceof SparkError && e.code === 'NOT_RUNNING');
    assert.deepEqual((await backend.runtime.delete('halfway')).left, []);
    assert.equal(exists(join(data.dataDir, 'sparks', 'halfway')), false);
  });

  test('delete leaves no directory and no database; deleting again is success; the name is free again', async () => {
    const outcome = await deleteSpark(backend, 'alpha', { keepDatabase: false });
    assert.deepEqual(outcome.left, []);
    assert.ok(outcome.removed.some((r) => r.startsWith('workspace')));
    assert.ok(outcome.removed.includes('database alpha'));
    assert.equal(exists(join(data.dataDir, 'sparks', 'alpha')), false);
    assert.deepEqual(readdirSync(join(data.dataDir, 'sparks')).filter((e) => e.startsWith('.')), [], 'no half-deleted leftovers');
    const su = await superuser(data.dataDir, port);
    try {
      assert.equal((await su.query(`SELECT 1 FROM pg_database WHERE datname = 'alpha'`)).rows.length, 0);
    } finally {
      await su.end();
    }
    assert.deepEqual(await backend.runtime.delete('alpha'), { removed: [], left: [] });
    assert.equal(await backend.databases.drop('alpha'), 'absent');
    assert.equal(await backend.runtime.status('alpha'), undefined);
    await assert.rejects(backend.runtime.shell('alpha', []), (e: unknown) => e instanceof SparkError && e.code === 'NOT_FOUND');
    await createSpark(backend, { ...input, name: 'alpha' });
    await deleteSpark(backend, 'alpha', { keepDatabase: false });
    await deleteSpark(backend, 'beta', { keepDatabase: false });
    assert.equal(await hasLocalSparks(await data.config()), false);
  });

  test('the checks pass: data dir, binaries, server, git; the database layer\'s self-test against the spark role', async () => {
    const checks = [...(await backend.runtime.checks()), ...(await backend.databases.checks())];
    const byId = new Map(checks.map((c) => [c.id, c]));
    for (const id of ['local-data-dir', 'local-binaries', 'local-server', 'local-git', 'db-connection']) assert.equal(byId.get(id)?.status, 'ok', `${id}: ${JSON.stringify(byId.get(id))}`);
    assert.ok(!checks.some((c) => c.status === 'fail'), JSON.stringify(checks.filter((c) => c.status === 'fail')));
    const text = redact(JSON.stringify(checks));
    assert.ok(!text.includes(readFileSync(join(data.dataDir, 'spark-role-password'), 'utf8').trim()));
  });
});
