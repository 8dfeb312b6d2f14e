/**
 * Database branching on real PostgreSQL 15 and 18, as the spark role: snapshot → change → restore
 * gives back exactly what was there; forks and templates are copies that diverge; every copy is
 * closed to other roles; interrupted copies are repaired by the next command.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { Client } from 'pg';
import { BRANCH_TAG_PREFIX, parseBranchTag } from '../../src/database/branches.js';
import { openSparkDatabases, parseTag, type SparkDatabases } from '../../src/database/sparks.js';
import { connectUrl, makeRole, sparkSettings, superuserClient, testServers, unique, type TestServer } from '../support/postgres.js';

const createdAt = () => new Date().toISOString();

async function rows(client: Client, sql = 'SELECT id, note FROM items ORDER BY id'): Promise<unknown[]> {
  return (await client.query(sql)).rows;
}

/** A fresh login role (made as superuser), neither spark nor any spark's: it must open none of the copies. */
async function stranger(server: TestServer): Promise<{ name: string; password: string; drop(): Promise<void> }> {
  const name = `stranger_${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const su = await superuserClient(server);
  await su.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
  await su.end();
  return {
    name,
    password,
    async drop() {
      const c = await superuserClient(server);
      await c.query(`DROP ROLE IF EXISTS ${name}`).catch(() => {});
      await c.end();
    },
  };
}

async function canOpen(server: TestServer, role: { name: string; password: string }, database: string): Promise<boolean> {
  const url = `postgresql://${role.name}:${role.password}@${server.host}:${server.port}/${encodeURIComponent(database)}?sslmode=disable`;
  try {
    await (await connectUrl(url)).end();
    return true;
  } catch {
    return false;
  }
}

async function databaseRow(server: TestServer, name: string): Promise<Record<string, unknown> | undefined> {
  const su = await superuserClient(server);
  try {
    const { rows: found } = await su.query(
      `SELECT datallowconn, datistemplate, datconnlimit, pg_get_userbyid(datdba) AS owner, shobj_description(oid, 'pg_database') AS comment,
              has_database_privilege('public', datname, 'CONNECT') AS public_connect
         FROM pg_database WHERE datname = $1`, [name]);
    return found[0];
  } finally {
    await su.end();
  }
}

async function withSpark(server: TestServer, work: (db: SparkDatabases, name: string, url: string) => Promise<void>, settings = sparkSettings(server, { connectionLimit: 9 })): Promise<void> {
  const db = openSparkDatabases(settings, { runtime: 'local' });
  const name = unique('br');
  const made = await db.provision(name, { createdAt: createdAt() });
  try {
    await work(db, name, made.databaseUrl);
  } finally {
    for (const s of await db.branches.snapshots(name)) await db.branches.dropSnapshot(name, s.id);
    await db.drop(name);
    await db.close();
  }
}

for (const server of testServers()) {
  test(`${server.name}: snapshot → change → restore gives back exactly the data; the snapshot is closed, tagged and no one else's`, async () => {
    await withSpark(server, async (db, name, url) => {
      const app = await connectUrl(url);
      await app.query(`CREATE TABLE items (id int PRIMARY KEY, note text); INSERT INTO items SELECT g, 'row ' || g FROM generate_series(1, 500) g`);
      const before = await rows(app);

      const snap = await db.branches.snapshot(name, { label: 'before the migration', createdAt: createdAt() });
      assert.match(snap.id, /^[a-z0-9]{6}$/);
      assert.equal(snap.database, `${name}@${snap.id}`);
      assert.equal(snap.endedSessions, 1, 'the app session on the spark database was ended for the copy');
      await assert.rejects(app.query('SELECT 1'), 'the ended session is gone');
      await app.end().catch(() => {});

      const snapRow = await databaseRow(server, snap.database);
      assert.equal(snapRow?.datallowconn, false, 'a snapshot is closed to connections');
      assert.equal(snapRow?.public_connect, false, 'CONNECT revoked from PUBLIC');
      assert.equal(snapRow?.owner, 'spark');
      assert.deepEqual({ ...parseBranchTag(snapRow?.comment as string), createdAt: 'x' }, { kind: 'snapshot', spark: name, id: snap.id, label: 'before the migration', createdAt: 'x', runtime: 'local' });
      const sparkRow = await databaseRow(server, name);
      assert.equal(sparkRow?.datallowconn, true, 'the spark database is open again after the copy');
      assert.deepEqual(Object.keys(JSON.parse(String(sparkRow?.comment).slice('spark:'.length))).sort(), ['createdAt', 'runtime'], 'no busy mark left in its tag');

      const listed = await db.branches.snapshots(name);
      assert.deepEqual(listed.map((s) => [s.id, s.label]), [[snap.id, 'before the migration']]);
      assert.ok((listed[0]!.sizeBytes ?? 0) > 1_000_000);

      const changed = await connectUrl(url);
      await changed.query(`DELETE FROM items WHERE id > 10; UPDATE items SET note = 'changed'; CREATE TABLE extra (x int)`);
      await changed.end();

      const restored = await db.branches.restore(name, snap.id);
      assert.equal(restored.endedSessions, 0);
      const after = await connectUrl(url);
      assert.deepEqual(await rows(after), before, 'every row as it was at the snapshot');
      assert.deepEqual(await rows(after, `SELECT to_regclass('extra') AS extra`), [{ extra: null }]);
      await after.end();
      const afterRow = await databaseRow(server, name);
      assert.equal(afterRow?.datconnlimit, 9, 'connection limit kept');
      assert.equal(afterRow?.owner, 'spark');
      assert.equal(afterRow?.public_connect, false);
      assert.equal(afterRow?.comment, sparkRow?.comment, 'the spark tag kept');
      assert.deepEqual((await db.branches.snapshots(name)).map((s) => s.id), [snap.id], 'the snapshot stays for another restore');

      // Nothing of the swap is left behind.
      const su = await superuserClient(server);
      const { rows: strays } = await su.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${name}@%`]);
      await su.end();
      assert.deepEqual(strays.map((r) => r.datname), [snap.database]);

      const other = await stranger(server);
      try {
        assert.equal(await canOpen(server, other, snap.database), false);
        assert.equal(await canOpen(server, other, name), false);
      } finally {
        await other.drop();
      }
    });
  });

  test(`${server.name}: reset empties the database; unknown ids and foreign databases are refused with the fix`, async () => {
    await withSpark(server, async (db, name, url) => {
      const app = await connectUrl(url);
      await app.query(`CREATE TABLE items (id int)`);
      await app.end();
      await db.branches.reset(name);
      const after = await connectUrl(url);
      assert.deepEqual(await rows(after, `SELECT to_regclass('items') AS t`), [{ t: null }]);
      await after.end();

      await assert.rejects(db.branches.restore(name, 'zzzzzz'), (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'SNAPSHOT_NOT_FOUND');
        assert.match(e.hint ?? '', new RegExp(`spark db snapshots ${name}`));
        return true;
      });
      await assert.rejects(db.branches.restore(name, 'Bad;id'), (e: Error & { exitCode?: number }) => e.exitCode === 2);
      const foreign = unique('plain');
      await (await db.connection()).query(`CREATE DATABASE "${foreign}"`);
      try {
        await assert.rejects(db.branches.snapshot(foreign, { createdAt: createdAt() }), (e: Error & { code?: string }) => e.code === 'DB_NOT_SPARKS');
      } finally {
        await (await db.connection()).query(`DROP DATABASE "${foreign}"`);
      }
    });
  });

  test(`${server.name}: a fork sees the parent's rows and diverges; a template seeds new sparks and reset goes back to it`, async () => {
    await withSpark(server, async (db, name, url) => {
      const app = await connectUrl(url);
      await app.query(`CREATE TABLE items (id int PRIMARY KEY, note text); INSERT INTO items VALUES (1, 'parent')`);
      // The app keeps its session: the fork ends it for the copy.
      const fork = unique('fork');
      const plan = await db.plan(fork, { createdAt: createdAt() });
      await db.create(plan, { createdAt: createdAt(), source: { kind: 'spark', name } });
      await app.end().catch(() => {});
      try {
        const child = await connectUrl(plan.databaseUrl);
        assert.deepEqual(await rows(child), [{ id: 1, note: 'parent' }]);
        await child.query(`INSERT INTO items VALUES (2, 'child only')`);
        await child.end();
        const parent = await connectUrl(url);
        assert.deepEqual(await rows(parent), [{ id: 1, note: 'parent' }], 'the parent does not see the fork\'s row');
        await parent.end();
        assert.equal((await databaseRow(server, fork))?.public_connect, false);

        const templateName = unique('tpl');
        const template = await db.branches.createTemplate(templateName, name, { createdAt: createdAt() });
        assert.equal(template.database, `${templateName}@template`);
        const row = await databaseRow(server, template.database);
        assert.deepEqual([row?.datistemplate, row?.datallowconn, row?.public_connect, row?.owner], [true, false, false, 'spark']);
        assert.deepEqual((await db.branches.templates()).filter((t) => t.name === templateName).map((t) => t.from), [name]);
        await assert.rejects(db.branches.createTemplate(name, name, { createdAt: createdAt() }), (e: Error & { code?: string }) => e.code === 'NAME_TAKEN');

        const seeded = unique('seeded');
        const seededPlan = await db.plan(seeded, { createdAt: createdAt() });
        await db.create(seededPlan, { createdAt: createdAt(), source: { kind: 'template', name: templateName } });
        try {
          assert.equal(parseTag(String((await databaseRow(server, seeded))?.comment))?.template, templateName);
          const s = await connectUrl(seededPlan.databaseUrl);
          await s.query(`DELETE FROM items`);
          await s.end();
          const reset = await db.branches.reset(seeded);
          assert.equal(reset.template, templateName);
          const again = await connectUrl(seededPlan.databaseUrl);
          assert.deepEqual(await rows(again), [{ id: 1, note: 'parent' }], 'reset goes back to the golden template');
          await again.end();

          const other = await stranger(server);
          try {
            assert.equal(await canOpen(server, other, template.database), false);
            assert.equal(await canOpen(server, other, seeded), false);
          } finally {
            await other.drop();
          }
        } finally {
          await db.drop(seeded);
        }
        assert.equal(await db.branches.dropTemplate(templateName), 'dropped');
        assert.equal(await databaseRow(server, template.database), undefined);
        await assert.rejects(db.create(await db.plan(unique('x'), { createdAt: createdAt() }), { createdAt: createdAt(), source: { kind: 'template', name: templateName } }), (e: Error & { code?: string }) => e.code === 'TEMPLATE_NOT_FOUND');
      } finally {
        await db.drop(fork);
      }
    });
  });

  test(`${server.name}: what an interrupted copy leaves is repaired by the next command: half-made copies dropped, a closed spark database opened, a half-done swap undone`, async () => {
    await withSpark(server, async (db, name, url) => {
      const client = await db.connection();
      // A copy killed before its tag: closed, untagged, "@" in the name.
      await client.query(`CREATE DATABASE "${name}@in-aaaaaa" ALLOW_CONNECTIONS false`);
      // A copier killed while the spark's database was closed (pid 1 on another host... here: a pid that is gone).
      const tag = String((await databaseRow(server, name))?.comment);
      const busy = { ...JSON.parse(tag.slice('spark:'.length)), busy: { host: (await import('node:os')).hostname(), pid: 2 ** 22 + 7, since: createdAt() } };
      await client.query(`COMMENT ON DATABASE "${name}" IS '${'spark:' + JSON.stringify(busy)}'`);
      await client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      assert.equal((await db.list()).find((d) => d.name === `${name}@in-aaaaaa`), undefined, 'a half-made copy is never listed as a spark');

      assert.deepEqual(await db.branches.snapshots(name), []);
      await db.branches.leftovers();
      const row = await databaseRow(server, name);
      assert.equal(row?.datallowconn, true);
      assert.equal(row?.comment, tag);
      assert.equal(await databaseRow(server, `${name}@in-aaaaaa`), undefined);

      // A swap killed after the rename of the spark's database, before the copy took its name.
      const app = await connectUrl(url);
      await app.query(`CREATE TABLE kept (x int)`);
      await app.end();
      const previous = `${name}@old-bbbbbb`;
      await client.query(`COMMENT ON DATABASE "${name}" IS '${BRANCH_TAG_PREFIX}${JSON.stringify({ kind: 'previous', spark: name, createdAt: createdAt(), runtime: 'local', sparkComment: tag })}'`);
      await client.query(`ALTER DATABASE "${name}" RENAME TO "${previous}"`);
      const snap = db.branches.snapshot(name, { createdAt: createdAt() });
      const made = await snap;
      assert.equal((await databaseRow(server, name))?.comment, tag, 'the spark database is back under its name with its tag');
      assert.equal(await databaseRow(server, previous), undefined);
      const back = await connectUrl(url);
      assert.deepEqual(await rows(back, `SELECT to_regclass('kept')::text AS t`), [{ t: 'kept' }]);
      await back.end();
      assert.ok(made.id);
    });
  });

  if (server.major >= 16) {
    test(`${server.name}: isolation mode: the spark's own role's sessions are ended, restore keeps its role as owner, and the spark's role cannot open its snapshots`, async () => {
      const settings = await makeRole(server, { isolation: 'role' });
      await withSpark(server, async (db, name, url) => {
        const app = await connectUrl(url);
        const role = (await app.query('SELECT current_user AS u')).rows[0].u as string;
        await app.query(`CREATE TABLE items (id int PRIMARY KEY, note text); INSERT INTO items VALUES (1, 'mine')`);
        const snap = await db.branches.snapshot(name, { createdAt: createdAt() });
        assert.equal(snap.endedSessions, 1);
        await app.end().catch(() => {});
        const change = await connectUrl(url);
        await change.query(`DROP TABLE items`);
        await change.end();
        await db.branches.restore(name, snap.id);
        const after = await connectUrl(url);
        assert.deepEqual(await rows(after), [{ id: 1, note: 'mine' }]);
        await after.query(`INSERT INTO items VALUES (2, 'still writable')`);
        await after.end();
        assert.equal((await databaseRow(server, name))?.owner, role);
        const password = decodeURIComponent(new URL(url).password);
        assert.equal(await canOpen(server, { name: role, password }, snap.database), false);
      }, settings);
    });

    test(`${server.name}: isolation mode: a fork gets its own role, owns its copy's tables, and neither spark's role can open the other's database`, async () => {
      const settings = await makeRole(server, { isolation: 'role' });
      await withSpark(server, async (db, name, url) => {
        const app = await connectUrl(url);
        await app.query(`CREATE TABLE items (id int PRIMARY KEY, note text); INSERT INTO items VALUES (1, 'parent'); CREATE VIEW v AS SELECT * FROM items; CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'`);
        await app.end();
        const parentRole = decodeURIComponent(new URL(url).username);
        const fork = unique('ifork');
        const plan = await db.plan(fork, { createdAt: createdAt() });
        await db.create(plan, { createdAt: createdAt(), source: { kind: 'spark', name } });
        try {
          const forkRole = decodeURIComponent(new URL(plan.databaseUrl).username);
          assert.notEqual(forkRole, parentRole);
          const child = await connectUrl(plan.databaseUrl);
          assert.deepEqual(await rows(child), [{ id: 1, note: 'parent' }]);
          await child.query(`INSERT INTO items VALUES (2, 'child'); ALTER TABLE items ADD COLUMN extra int; DROP VIEW v; DROP FUNCTION f()`);
          await child.end();
          assert.equal((await databaseRow(server, fork))?.owner, forkRole);
          assert.equal((await databaseRow(server, name))?.owner, parentRole, 'the parent keeps its database');
          const parent = await connectUrl(url);
          assert.deepEqual(await rows(parent), [{ id: 1, note: 'parent' }]);
          await parent.query(`INSERT INTO items VALUES (3, 'parent still owns its table')`);
          await parent.end();
          const parentPassword = decodeURIComponent(new URL(url).password);
          const forkPassword = decodeURIComponent(new URL(plan.databaseUrl).password);
          assert.equal(await canOpen(server, { name: parentRole, password: parentPassword }, fork), false);
          assert.equal(await canOpen(server, { name: forkRole, password: forkPassword }, name), false);

          // A golden template of the parent seeds a third spark; its reset gives it the template again, its own.
          const template = unique('itpl');
          await db.branches.createTemplate(template, name, { createdAt: createdAt() });
          const seeded = unique('iseed');
          const seededPlan = await db.plan(seeded, { createdAt: createdAt() });
          await db.create(seededPlan, { createdAt: createdAt(), source: { kind: 'template', name: template } });
          try {
            await db.branches.reset(seeded);
            const s3 = await connectUrl(seededPlan.databaseUrl);
            await s3.query(`INSERT INTO items VALUES (9, 'seeded and reset, still its own')`);
            await s3.end();
          } finally {
            await db.drop(seeded);
            await db.branches.dropTemplate(template);
          }
        } finally {
          await db.drop(fork);
        }
      }, settings);
    });

    test(`${server.name}: isolation mode: a spark deleted with its snapshots kept leaves its role unable to log in; the last snapshot dropped takes the role along`, async () => {
      const settings = await makeRole(server, { isolation: 'role' });
      const db = openSparkDatabases(settings, { runtime: 'local' });
      const name = unique('iso');
      const made = await db.provision(name, { createdAt: createdAt() });
      const role = decodeURIComponent(new URL(made.databaseUrl).username);
      const app = await connectUrl(made.databaseUrl);
      await app.query(`CREATE TABLE items (id int)`);
      await app.end();
      const snap = await db.branches.snapshot(name, { createdAt: createdAt() });
      try {
        assert.equal(await db.drop(name), 'dropped', 'the database goes although the role cannot yet');
        const su = await superuserClient(server);
        const { rows: left } = await su.query(`SELECT rolcanlogin FROM pg_roles WHERE rolname = $1`, [role]);
        await su.end();
        assert.deepEqual(left, [{ rolcanlogin: false }]);
        await db.branches.dropSnapshot(name, snap.id);
        const su2 = await superuserClient(server);
        const { rows: gone } = await su2.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [role]);
        await su2.end();
        assert.deepEqual(gone, [], 'no role left behind');
      } finally {
        await db.close();
      }
    });
  }
}
