/**
 * Rotation (the seed's "Rotate Regularly") and isolation mode "role": what a user would notice —
 * which sparks lose access, whose URLs keep working, and that other sparks' databases stay closed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { connect } from '../../src/database/connect.js';
import { rotatePassword } from '../../src/core/rotate.js';
import { openRoleAccount } from '../../src/database/account.js';
import { generatePassword } from '../../src/database/scram.js';
import { setupDatabase } from '../../src/database/setup.js';
import { openSparkDatabases } from '../../src/database/sparks.js';
import { connectUrl, logSince, logSize, makeRole, runSparkSource, sparkEnv, superuserClient, testServers } from '../support/postgres.js';

const name = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;
const code = (error: unknown): string | undefined => (error as { code?: string }).code;

for (const server of testServers()) {
  test(`${server.name}: rotate-password (shared) names the sparks that would break, refuses without --yes, then rotates`, async () => {
    const settings = await makeRole(server, { prefix: 'spark_rot' });
    const db = openSparkDatabases(settings);
    const spark = name('rotated');
    const made = await db.provision(spark, { createdAt: new Date().toISOString() });
    await db.close();
    const env = { ...sparkEnv(server, settings.user, settings.password) };
    const before = logSize(server);

    const refused = await runSparkSource(['admin', 'rotate-password'], { env });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, new RegExp(`used by 1 spark \\(${spark}\\), and there is no terminal to ask`));
    assert.match(refused.stderr, /--yes/);
    await (await connectUrl(made.databaseUrl)).end(); // nothing changed yet

    const rotated = await runSparkSource(['admin', 'rotate-password', '--yes'], { env });
    assert.equal(rotated.code, 0, rotated.stderr);
    const password = rotated.stdout.trim();
    assert.match(password, /^[A-Za-z0-9_-]{43}$/, 'the new password alone on stdout');
    assert.match(rotated.stderr, new RegExp(`have no spark here to update.*: ${spark}`));

    await assert.rejects(connectUrl(made.databaseUrl), (e) => code(e) === '28P01');
    await (await connect({ ...settings, password })).end();
    const log = logSince(server, before);
    assert.match(log, /ALTER ROLE .* PASSWORD 'SCRAM-SHA-256\$4096:/);
    assert.ok(!log.includes(password), 'clear-text password in the server log');

    const cleanup = openSparkDatabases({ ...settings, password });
    await cleanup.drop(spark);
    await cleanup.close();
  });

  if (server.major >= 16) {
    test(`${server.name}: isolation "role": each spark its own role; A cannot open B; rotation leaves A working; drop removes database and role`, async () => {
      const settings = await makeRole(server, { prefix: 'spark_iso', isolation: 'role' });
      const again = await setupDatabase({ superuserUrl: server.superuserUrl, role: settings.user, adminDatabase: 'homelab', isolation: 'role', password: settings.password });
      assert.deepEqual(again.changes, [], 'setup-db --isolation role is idempotent too');
      assert.equal(again.report?.createroleSelfGrant, 'set, inherit');
      const db = openSparkDatabases(settings);
      const [a, b] = [name('alpha'), name('beta')];
      const su = await superuserClient(server);
      try {
        const madeA = await db.provision(a, { createdAt: new Date().toISOString() });
        const madeB = await db.provision(b, { createdAt: new Date().toISOString() });
        assert.equal(madeA.role, `${settings.user}_${a}`);
        const sessionA = await connectUrl(madeA.databaseUrl);
        assert.equal((await sessionA.query('SELECT current_user AS u')).rows[0].u, madeA.role);
        await sessionA.query('CREATE TABLE notes (t text)'); // CREATE on its own public schema
        await sessionA.end();

        const aIntoB = madeA.databaseUrl.replace(`/${a}?`, `/${b}?`);
        await assert.rejects(connectUrl(aIntoB), (e) => code(e) === '42501');
        await (await connectUrl(madeB.databaseUrl)).end();

        const { rows } = await su.query(`SELECT pg_get_userbyid(datdba) AS owner, datconnlimit FROM pg_database WHERE datname = $1`, [a]);
        assert.deepEqual(rows[0], { owner: madeA.role, datconnlimit: 20 });
        const role = await su.query('SELECT rolconnlimit, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1', [madeA.role]);
        assert.deepEqual(role.rows[0], { rolconnlimit: 20, rolcreatedb: false, rolcreaterole: false });

        const account = openRoleAccount(settings);
        const rotated = await rotatePassword({ account }, { yes: false }, generatePassword).finally(() => account.close());
        assert.deepEqual(rotated.unreachable, [], 'per-spark roles do not carry the spark password');
        await (await connectUrl(madeA.databaseUrl)).end();

        const after = openSparkDatabases({ ...settings, password: rotated.password! });
        assert.equal(await after.drop(a), 'dropped');
        const left = await su.query('SELECT (SELECT count(*) FROM pg_database WHERE datname = $1)::int AS dbs, (SELECT count(*) FROM pg_roles WHERE rolname = $2)::int AS roles', [a, madeA.role]);
        assert.deepEqual(left.rows[0], { dbs: 0, roles: 0 });
        await after.drop(b);
        await after.close();
      } finally {
        await db.close();
        await su.end();
      }
    });
  } else {
    test(`${server.name}: isolation "role" is refused below 16, with the reason, and leaves nothing`, async () => {
      const settings = await makeRole(server);
      const db = openSparkDatabases({ ...settings, isolation: 'role' });
      const spark = name('refused');
      try {
        await assert.rejects(db.provision(spark, { createdAt: new Date().toISOString() }), (e: Error & { code?: string; hint?: string }) => {
          assert.equal(e.code, 'DB_ISOLATION_UNSUPPORTED');
          assert.match(e.message, /needs PostgreSQL 16 or later; this server is 15/);
          assert.match(e.hint ?? '', /near-superuser/);
          return true;
        });
        assert.equal(await db.get(spark), undefined);
      } finally {
        await db.close();
      }
    });
  }
}
