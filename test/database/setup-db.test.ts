/**
 * `spark admin setup-db` as a user runs it (the CLI): idempotent, repairs, special-character
 * passwords that round-trip into a working DATABASE_URL, --print-sql through real psql, and never
 * a clear-text password in the server log (log_statement=all).
 */
import assert from 'node:assert/strict';
import { capture } from '../support/capture.js';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { readRole } from '../../src/database/roles.js';
import { openSparkDatabases } from '../../src/database/sparks.js';
import { connectUrl, logSince, logSize, runSparkSource, sparkSettings, superuserClient, testServers, type TestServer } from '../support/postgres.js';

const PSQL = '/usr/bin/psql';

function psql(url: string, args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return capture(PSQL, [url, '-X', '-v', 'ON_ERROR_STOP=1', ...args], { env: { PATH: process.env.PATH }, input });
}

const roleName = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

function setupDb(server: TestServer, role: string, extra: string[] = [], input?: string) {
  return runSparkSource(['admin', 'setup-db', '--superuser-url', server.superuserUrl, ...extra], { env: { POSTGRES_USER: role, POSTGRES_DB: server.adminDatabase }, input });
}

async function attributes(server: TestServer, role: string) {
  const su = await superuserClient(server);
  try {
    const state = await readRole(su, role, false);
    const grant = await su.query(`SELECT has_database_privilege($1, 'homelab', 'CONNECT') AS c`, [role]);
    return { ...state, verifier: undefined, connect: grant.rows[0].c as boolean };
  } finally {
    await su.end();
  }
}

const SPECIAL_PASSWORDS = [`p@ss:w/o?r#d%!'"\\ é-${randomBytes(3).toString('hex')}`, `Seed.Style.Pass!${randomBytes(3).toString('hex')}`];

for (const server of testServers()) {
  test(`${server.name}: setup-db makes the seed's role, prints it like \\du, and a second run changes nothing`, async () => {
    const role = roleName('spark_setup');
    const first = await setupDb(server, role);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /create role .* \(LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS\)/);
    assert.match(first.stdout, /Create DB\s+yes/);
    assert.match(first.stdout, /Superuser\s+no/);
    assert.match(first.stdout, /Create role\s+no/);
    assert.match(first.stdout, /Connect on homelab\s+yes/);
    // The generated password is shown once, alone on its line, and it works.
    const password = first.stdout.trim().split('\n').at(-1)!;
    assert.match(password, /^[A-Za-z0-9_-]{43}$/);
    const db = openSparkDatabases(sparkSettings(server, { user: role, password }));
    await (await db.connection()).query('SELECT 1');
    await db.close();

    const second = await setupDb(server, role, ['--json']);
    assert.equal(second.code, 0, second.stderr);
    const report = JSON.parse(second.stdout) as { changed: boolean; changes: string[]; password: string | null };
    assert.deepEqual({ changed: report.changed, changes: report.changes, password: report.password }, { changed: false, changes: [], password: null });
  });

  test(`${server.name}: setup-db repairs a role that lost CREATEDB and CONNECT, keeping its password`, async () => {
    const role = roleName('spark_repair');
    const password = `repair-${randomBytes(8).toString('hex')}`;
    assert.equal((await setupDb(server, role, ['--password-stdin'], `${password}\n`)).code, 0);
    const su = await superuserClient(server);
    await su.query(`ALTER ROLE ${role} NOCREATEDB CREATEROLE`);
    await su.query(`REVOKE CONNECT ON DATABASE homelab FROM ${role}`);
    await su.end();
    const repair = await setupDb(server, role, ['--json']);
    const report = JSON.parse(repair.stdout) as { changes: string[]; password: string | null };
    assert.deepEqual(report.changes, [`set CREATEDB NOCREATEROLE on role ${role}`, `grant CONNECT on database homelab to ${role}`]);
    assert.equal(report.password, null);
    const after = await attributes(server, role);
    assert.equal(after.createdb, true);
    assert.equal(after.createrole, false);
    const db = openSparkDatabases(sparkSettings(server, { user: role, password }));
    await (await db.connection()).query('SELECT 1');
    await db.close();
  });

  test(`${server.name}: setups at the same moment (two admins, parallel CI) all succeed, one after another`, async () => {
    const { setupDatabase } = await import('../../src/database/setup.js');
    const roles = Array.from({ length: 6 }, () => roleName('spark_race'));
    // Each grants CONNECT on the same database: unserialized, some fail with "tuple concurrently updated".
    const results = await Promise.allSettled(roles.map((role) => setupDatabase({ superuserUrl: server.superuserUrl, role, adminDatabase: server.adminDatabase, isolation: 'shared', password: randomBytes(12).toString('hex') })));
    assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), []);
    for (const role of roles) assert.equal((await attributes(server, role)).createdb, true);
  });

  for (const password of SPECIAL_PASSWORDS) {
    test(`${server.name}: password ${JSON.stringify(password.slice(0, 16))}… round-trips through setup-db and DATABASE_URL (pg and psql)`, async () => {
      const role = roleName('spark_special');
      const before = logSize(server);
      const setup = await setupDb(server, role, ['--password-stdin'], `${password}\n`);
      assert.equal(setup.code, 0, setup.stderr);
      const db = openSparkDatabases(sparkSettings(server, { user: role, password }));
      const name = `special-${randomBytes(3).toString('hex')}`;
      try {
        const made = await db.provision(name, { createdAt: new Date().toISOString() });
        const client = await connectUrl(made.databaseUrl);
        assert.equal((await client.query('SELECT current_user AS u')).rows[0].u, role);
        await client.end();
        const viaPsql = await psql(made.databaseUrl, ['-tAc', 'SELECT current_user']);
        assert.equal(viaPsql.stdout.trim(), role, viaPsql.stderr);
      } finally {
        await db.drop(name);
        await db.close();
      }
      const log = logSince(server, before);
      assert.match(log, /SCRAM-SHA-256\$4096:/, 'the server logged the statements (log_statement=all)');
      for (const form of [password, encodeURIComponent(password)]) assert.ok(!log.includes(form), 'clear-text password in the server log');
      for (const output of [setup.stdout, setup.stderr]) assert.ok(!output.includes(password), 'the given password must not be printed back');
    });
  }

  test(`${server.name}: --print-sql piped through psql yields the same role as the direct path, and never the clear password`, async () => {
    const password = `printed-${randomBytes(8).toString('hex')}`;
    const viaPsql = roleName('spark_psql');
    const direct = roleName('spark_direct');
    const printed = await runSparkSource(['admin', 'setup-db', '--print-sql', '--password-stdin'], { env: { POSTGRES_USER: viaPsql, POSTGRES_DB: 'homelab' }, input: password });
    assert.equal(printed.code, 0, printed.stderr);
    assert.ok(!printed.stdout.includes(password) && !printed.stderr.includes(password), 'clear password printed');
    assert.match(printed.stdout, /PASSWORD 'SCRAM-SHA-256\$4096:/);
    const applied = await psql(server.superuserUrl, ['-q', '-f', '-'], printed.stdout);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal((await setupDb(server, direct, ['--password-stdin'], password)).code, 0);

    assert.deepEqual(await attributes(server, viaPsql), await attributes(server, direct));
    for (const role of [viaPsql, direct]) {
      const db = openSparkDatabases(sparkSettings(server, { user: role, password }));
      await (await db.connection()).query('SELECT 1');
      await db.close();
    }
    // And against the server, the role made by psql needs nothing more.
    const again = await runSparkSource(['admin', 'setup-db', '--print-sql', '--password-stdin', '--superuser-url', server.superuserUrl, '--json'], { env: { POSTGRES_USER: viaPsql, POSTGRES_DB: 'homelab' }, input: password });
    assert.deepEqual((JSON.parse(again.stdout) as { changes: string[] }).changes, []);
  });

  test(`${server.name}: the superuser URL's password never prints, even in errors`, async () => {
    const bad = server.superuserUrl.replace('/homelab', '/no_such_db');
    const result = await runSparkSource(['admin', 'setup-db', '--superuser-url', bad], { env: { POSTGRES_DB: 'homelab' } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no_such_db/);
    for (const form of [server.superuserPassword, encodeURIComponent(server.superuserPassword)]) {
      assert.ok(!result.stderr.includes(form) && !result.stdout.includes(form), result.stderr);
    }
  });

  if (server.major < 16) {
    test(`${server.name}: setup-db --isolation role is refused below 16, with the reason, before changing anything`, async () => {
      const role = roleName('spark_iso15');
      const result = await setupDb(server, role, ['--isolation', 'role']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /needs PostgreSQL 16 or later; this server is 15/);
      assert.match(result.stderr, /pg_execute_server_program/);
      const su = await superuserClient(server);
      const { rows } = await su.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      await su.end();
      assert.equal(rows.length, 0, 'no role was created');
    });
  }
}
