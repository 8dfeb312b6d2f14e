/**
 * The seed's "What the Spark User CAN / CANNOT Do", each line a test, on every server — as the
 * spark role that `spark admin setup-db` made when the test servers started.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../../src/database/connect.js';
import { databaseUrl } from '../../src/database/settings.js';
import { openSparkDatabases } from '../../src/database/sparks.js';
import { connectUrl, sparkSettings, superuserClient, testServers, unique } from '../support/postgres.js';

const code = (error: unknown): string | undefined => (error as { code?: string }).code;

for (const server of testServers()) {
  const settings = sparkSettings(server);

  test(`${server.name}: CAN connect to the admin database (POSTGRES_DB)`, async () => {
    const client = await connect(settings);
    const { rows } = await client.query('SELECT current_user AS u, current_database() AS d');
    await client.end();
    assert.deepEqual(rows[0], { u: 'spark', d: 'homelab' });
  });

  test(`${server.name}: CAN create databases and drop its own`, async () => {
    const db = openSparkDatabases(settings);
    const name = unique('seed');
    try {
      await db.provision(name, { createdAt: new Date().toISOString() });
      assert.equal((await db.get(name))?.owner, 'spark');
      assert.equal(await db.drop(name), 'dropped');
      assert.equal(await db.get(name), undefined);
    } finally {
      await db.close();
    }
  });

  test(`${server.name}: CANNOT create roles (shared mode)`, async () => {
    const client = await connect(settings);
    try {
      await assert.rejects(client.query(`CREATE ROLE ${unique('intruder').replace('-', '_')}`), (e) => code(e) === '42501');
    } finally {
      await client.end();
    }
  });

  test(`${server.name}: CANNOT drop a database it does not own; the error names the owner and the SQL fix`, async () => {
    const name = unique('other');
    const su = await superuserClient(server);
    await su.query(`CREATE DATABASE "${name}"`);
    const db = openSparkDatabases(settings);
    try {
      await assert.rejects(db.drop(name), (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'DB_NOT_OWNER');
        assert.match(e.message, /owned by postgres/);
        assert.match(e.hint ?? '', new RegExp(`ALTER DATABASE "${name}" OWNER TO "spark"`));
        return true;
      });
      const { rows } = await su.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      assert.equal(rows.length, 1, 'the database must still exist');
    } finally {
      await db.close();
      await su.end();
    }
  });

  test(`${server.name}: CANNOT connect to another role's database revoked from PUBLIC`, async () => {
    const name = unique('private');
    const su = await superuserClient(server);
    await su.query(`CREATE DATABASE "${name}"`);
    await su.query(`REVOKE CONNECT ON DATABASE "${name}" FROM PUBLIC`);
    await su.end();
    await assert.rejects(connect({ ...settings, database: name }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'DB_PERMISSION_DENIED');
      return true;
    });
  });

  test(`${server.name}: other roles CANNOT connect to a spark's database`, async () => {
    const name = unique('mine');
    const db = openSparkDatabases(settings);
    const su = await superuserClient(server);
    const other = `other_${unique('r').slice(2)}`;
    try {
      await db.provision(name, { createdAt: new Date().toISOString() });
      await su.query(`CREATE ROLE ${other} LOGIN PASSWORD 'other-password-1'`);
      const url = databaseUrl({ user: other, password: 'other-password-1', host: server.host, port: server.port, database: name, sslmode: 'disable' });
      await assert.rejects(connectUrl(url), (e) => code(e) === '42501');
      // The same role can open a database that was not revoked: the refusal is the REVOKE's doing.
      const open = await connectUrl(databaseUrl({ user: other, password: 'other-password-1', host: server.host, port: server.port, database: 'homelab', sslmode: 'disable' }));
      await open.end();
    } finally {
      await db.drop(name);
      await db.close();
      await su.end();
    }
  });

  test(`${server.name}: CANNOT modify system catalogs, change server configuration or act as superuser`, async () => {
    const client = await connect(settings);
    try {
      await assert.rejects(client.query("UPDATE pg_catalog.pg_database SET datallowconn = false WHERE datname = 'homelab'"), (e) => code(e) === '42501');
      await assert.rejects(client.query("ALTER SYSTEM SET log_statement = 'none'"), (e) => code(e) === '42501');
      await assert.rejects(client.query('SELECT pg_read_file(\'postgresql.conf\')'), (e) => code(e) === '42501');
      await assert.rejects(client.query("COPY (SELECT 1) TO PROGRAM 'true'"), (e) => code(e) === '42501');
      const { rows } = await client.query('SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user');
      assert.deepEqual(rows[0], { rolsuper: false, rolcreaterole: false });
    } finally {
      await client.end();
    }
  });
}
