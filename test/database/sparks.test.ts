/** Spark databases: create (quoted, revoked, tagged, limited), list/get, DATABASE_URL, drop. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSparkDatabases, parseTag } from '../../src/database/sparks.js';
import { connectUrl, sparkSettings, superuserClient, testServers, unique } from '../support/postgres.js';

for (const server of testServers()) {
  test(`${server.name}: create makes a revoked, tagged, limited database; list and get find it; its URL connects`, async () => {
    const db = openSparkDatabases(sparkSettings(server, { connectionLimit: 7 }));
    const name = unique('brave');
    const createdAt = '2025-01-02T03:04:05.000Z';
    const su = await superuserClient(server);
    try {
      const made = await db.provision(name, { createdAt });
      assert.equal(made.databaseName, name);
      assert.equal(made.role, undefined);
      assert.match(made.databaseUrl, new RegExp(`^postgresql://spark:[^@]+@127\\.0\\.0\\.1:${server.port}/${name}\\?sslmode=disable$`));

      const { rows } = await su.query(
        `SELECT datconnlimit, pg_get_userbyid(datdba) AS owner, shobj_description(oid, 'pg_database') AS comment,
                has_database_privilege('public', datname, 'CONNECT') AS public_connect, has_database_privilege('public', datname, 'TEMPORARY') AS public_temp
           FROM pg_database WHERE datname = $1`, [name]);
      assert.equal(rows[0].datconnlimit, 7);
      assert.equal(rows[0].owner, 'spark');
      assert.equal(rows[0].public_connect, false);
      assert.equal(rows[0].public_temp, false);
      assert.deepEqual(parseTag(rows[0].comment), { createdAt });

      const session = await connectUrl(made.databaseUrl);
      const who = await session.query('SELECT current_user AS u, current_database() AS d');
      assert.deepEqual(who.rows[0], { u: 'spark', d: name });

      const listed = (await db.list()).find((d) => d.name === name);
      assert.ok(listed, 'list() finds the spark by its tag');
      assert.equal(listed.owner, 'spark');
      assert.equal(listed.createdAt, createdAt);
      assert.equal(listed.sizeBytes, undefined, 'no size unless asked: it reads every file of every database');
      assert.equal(listed.connections, 1);
      const sized = (await db.list({ sizes: true })).find((d) => d.name === name);
      assert.ok((sized?.sizeBytes ?? 0) > 1_000_000, `size ${sized?.sizeBytes}`);
      assert.ok(((await db.get(name))?.sizeBytes ?? 0) > 1_000_000, 'get always has the size');
      await session.end();
    } finally {
      await db.drop(name);
      await db.close();
      await su.end();
    }
  });

  test(`${server.name}: a database of the role without the tag is not listed as a spark, but its name is taken`, async () => {
    const db = openSparkDatabases(sparkSettings(server));
    const name = unique('untagged');
    const client = await db.connection();
    await client.query(`CREATE DATABASE "${name}"`);
    try {
      assert.equal((await db.list()).some((d) => d.name === name), false);
      assert.equal((await db.get(name))?.tagged, false);
      await assert.rejects(db.provision(name, { createdAt: new Date().toISOString() }), (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'NAME_TAKEN');
        assert.match(e.hint ?? '', /another name/);
        return true;
      });
    } finally {
      await db.drop(name);
      await db.close();
    }
  });

  test(`${server.name}: creating an existing spark says to delete it first`, async () => {
    const db = openSparkDatabases(sparkSettings(server));
    const name = unique('twice');
    try {
      await db.provision(name, { createdAt: new Date().toISOString() });
      await assert.rejects(db.provision(name, { createdAt: new Date().toISOString() }), (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'NAME_TAKEN');
        assert.match(e.hint ?? '', new RegExp(`spark delete ${name}`));
        return true;
      });
    } finally {
      await db.drop(name);
      await db.close();
    }
  });

  test(`${server.name}: drop succeeds while a session is connected; dropping again is 'absent'`, async () => {
    const db = openSparkDatabases(sparkSettings(server));
    const name = unique('busy');
    const made = await db.provision(name, { createdAt: new Date().toISOString() });
    const session = await connectUrl(made.databaseUrl);
    await session.query('CREATE TABLE t (x int)');
    try {
      assert.equal(await db.drop(name), 'dropped');
      assert.equal(await db.get(name), undefined);
      await assert.rejects(session.query('SELECT 1'));
      assert.equal(await db.drop(name), 'absent');
    } finally {
      await session.end().catch(() => {});
      await db.close();
    }
  });

  test(`${server.name}: the connection limit protects the server (53300 with its fix)`, async () => {
    const db = openSparkDatabases(sparkSettings(server, { connectionLimit: 1 }));
    const name = unique('limited');
    const made = await db.provision(name, { createdAt: new Date().toISOString() });
    const first = await connectUrl(made.databaseUrl);
    try {
      await assert.rejects(connectUrl(made.databaseUrl), (e: Error & { code?: string }) => e.code === '53300');
      const { connect } = await import('../../src/database/connect.js');
      await assert.rejects(connect({ ...sparkSettings(server), database: name }), (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'DB_TOO_MANY_CONNECTIONS');
        assert.match(e.hint ?? '', /SPARK_DB_CONNECTION_LIMIT/);
        return true;
      });
    } finally {
      await first.end();
      await db.drop(name);
      await db.close();
    }
  });
}
