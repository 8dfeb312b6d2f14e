/** The pure parts: quoting, verifiers, plans, URLs, and the error table — plus quoting proven on a server. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../../src/database/connect.js';
import { connectionError, errorCode, queryError } from '../../src/database/errors.js';
import { quoteIdent, quoteLiteral } from '../../src/database/quote.js';
import { scramVerifier, verifierMatches } from '../../src/database/scram.js';
import { databaseUrl } from '../../src/database/settings.js';
import { openSparkDatabases, planCreate } from '../../src/database/sparks.js';
import { sparkSettings, testServers } from '../support/postgres.js';

test('quoteIdent doubles quotes and refuses what PostgreSQL would truncate', () => {
  assert.equal(quoteIdent('brave-dolphin'), '"brave-dolphin"');
  assert.equal(quoteIdent('a"b'), '"a""b"');
  assert.equal(quoteIdent('"; DROP DATABASE x; --'), '"""; DROP DATABASE x; --"');
  assert.throws(() => quoteIdent('x'.repeat(64)), /longer than 63 bytes/);
  assert.throws(() => quoteIdent(''), /Invalid/);
  assert.equal(quoteLiteral("it's"), "'it''s'");
  assert.equal(quoteLiteral('a\\b'), "E'a\\\\b'");
});

for (const server of testServers()) {
  test(`${server.name}: quoteIdent and quoteLiteral round-trip through the server`, async () => {
    const client = await connect(sparkSettings(server));
    try {
      for (const ident of ['we"ird', 'Upper Case', 'x;y', 'é"\'\\']) {
        const { fields } = await client.query(`SELECT 1 AS ${quoteIdent(ident)}`);
        assert.equal(fields[0]!.name, ident);
      }
      const value = `a'b\\c"d é`;
      assert.equal((await client.query(`SELECT ${quoteLiteral(value)} AS v`)).rows[0].v, value);
    } finally {
      await client.end();
    }
  });
}

test('invalid spark names are rejected before any SQL (nothing listens on the port)', async () => {
  const [server] = testServers();
  const db = openSparkDatabases({ ...sparkSettings(server!), port: 1 });
  for (const bad of ['Upper', 'semi;colon', 'quo"te', `a${'b'.repeat(57)}`, '-dash', 'under_score', '']) {
    for (const call of [() => db.plan(bad), () => db.provision(bad, { createdAt: 'x' }), () => db.drop(bad)]) {
      await assert.rejects(call(), (e: Error & { code?: string; exitCode?: number }) => {
        assert.equal(e.code, 'USAGE', `${JSON.stringify(bad)}: ${e.message}`);
        assert.equal(e.exitCode, 2);
        return true;
      });
    }
  }
  await db.close();
});

test('the SCRAM verifier has the server format and matches only its password', () => {
  const salt = Buffer.alloc(16, 7);
  const verifier = scramVerifier('pencil', { salt });
  assert.match(verifier, /^SCRAM-SHA-256\$4096:BwcHBwcHBwcHBwcHBwcHBw==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
  assert.equal(verifierMatches(verifier, 'pencil'), true);
  assert.equal(verifierMatches(verifier, 'pencil '), false);
  assert.equal(verifierMatches('md5abc', 'pencil'), false);
  assert.notEqual(scramVerifier('pencil'), scramVerifier('pencil'), 'a fresh salt each time');
});

test('a spark database plan: made closed, tagged, revoked from PUBLIC, then opened; a role without login first in isolation mode', () => {
  const steps = planCreate({ name: 'brave-dolphin', connectionLimit: 20, tag: { createdAt: '2025-01-01T00:00:00.000Z' } });
  assert.deepEqual(steps.map((s) => s.sql), [
    'CREATE DATABASE "brave-dolphin" CONNECTION LIMIT 20 ALLOW_CONNECTIONS false',
    `COMMENT ON DATABASE "brave-dolphin" IS 'spark:{"createdAt":"2025-01-01T00:00:00.000Z"}'`,
    'REVOKE CONNECT, TEMPORARY ON DATABASE "brave-dolphin" FROM PUBLIC',
    'ALTER DATABASE "brave-dolphin" ALLOW_CONNECTIONS true',
  ]);
  const isolated = planCreate({ name: 'b', connectionLimit: 5, tag: { createdAt: 'x', role: 'spark_b' }, role: { name: 'spark_b', verifier: 'SCRAM-SHA-256$4096:c2FsdA==$a:b' } });
  assert.match(isolated[0]!.sql, /^CREATE ROLE "spark_b" WITH NOLOGIN .* CONNECTION LIMIT 5 PASSWORD 'SCRAM-SHA-256/);
  assert.equal(isolated[1]!.sql, 'CREATE DATABASE "b" OWNER "spark_b" CONNECTION LIMIT 5 ALLOW_CONNECTIONS false');
  assert.equal(isolated.at(-1)!.sql, 'ALTER ROLE "spark_b" WITH LOGIN');
});

test('DATABASE_URL encodes every part and always says sslmode', () => {
  const url = databaseUrl({ user: 'spark', password: `p@ss:w/o?r#d%!'"\\ é`, host: 'pg.tailnet.ts.net', port: 5432, database: 'brave-dolphin', sslmode: 'disable' });
  assert.equal(url, 'postgresql://spark:p%40ss%3Aw%2Fo%3Fr%23d%25!\'%22%5C%20%C3%A9@pg.tailnet.ts.net:5432/brave-dolphin?sslmode=disable');
  assert.equal(decodeURIComponent(new URL(url).password), `p@ss:w/o?r#d%!'"\\ é`);
  assert.match(databaseUrl({ user: 'u', password: 'p', host: '::1', port: 1, database: 'd', sslmode: 'require' }), /@\[::1\]:1\/d\?sslmode=require$/);
});

test('every error a user can meet maps to a code and a fix, never carrying a password', () => {
  const where = { host: 'pg', port: 5432, user: 'spark', database: 'homelab' };
  const pgError = (code: string, message = 'server said so') => Object.assign(new Error(message), { code });
  const cases: Array<[SparkLike, string, RegExp]> = [
    [connectionError(new AggregateError([pgError('ECONNREFUSED', ''), pgError('ECONNREFUSED', '')], ''), where), 'DB_CONNECTION_REFUSED', /kubectl get svc -n postgres/],
    [connectionError(pgError('ENOTFOUND'), where), 'DB_HOST_NOT_FOUND', /tailscale status/],
    [connectionError(pgError('EAI_AGAIN'), where), 'DB_HOST_NOT_FOUND', /POSTGRES_HOST/],
    [connectionError(pgError('ETIMEDOUT'), where), 'DB_TIMEOUT', /kubectl get pods -n postgres/],
    [connectionError(pgError('28P01'), where), 'DB_AUTH_FAILED', /POSTGRES_PASSWORD/],
    [connectionError(pgError('28000', 'no pg_hba.conf entry'), where), 'DB_HBA_REJECTED', /pg_hba.conf/],
    [connectionError(pgError('3D000'), where), 'DB_ADMIN_DATABASE_MISSING', /CREATE DATABASE "homelab";/],
    [connectionError(pgError('DEPTH_ZERO_SELF_SIGNED_CERT'), where), 'DB_SSL', /POSTGRES_SSLMODE/],
    [queryError(pgError('42501'), { operation: 'create', role: 'spark' }), 'DB_NO_CREATEDB', /ALTER USER "spark" CREATEDB;/],
    [queryError(pgError('42501'), { operation: 'drop', name: 'x', role: 'spark', owner: 'postgres' }), 'DB_NOT_OWNER', /ALTER DATABASE "x" OWNER TO "spark";/],
    [queryError(pgError('42P04'), { operation: 'create', name: 'x', isSpark: true }), 'NAME_TAKEN', /spark delete x/],
    [queryError(pgError('42P04'), { operation: 'create', name: 'x', isSpark: false }), 'NAME_TAKEN', /another name/],
    [queryError(pgError('55006'), { operation: 'drop', name: 'x' }), 'DB_IN_USE', /pg_terminate_backend/],
    [queryError(pgError('53300'), {}), 'DB_TOO_MANY_CONNECTIONS', /SPARK_DB_CONNECTION_LIMIT/],
    [queryError(pgError('57P03'), {}), 'DB_NOT_READY', /run the command again/],
  ];
  for (const [error, code, fix] of cases) {
    assert.equal(error.code, code);
    assert.match(error.hint ?? '', fix, code);
  }
  assert.equal(errorCode(new AggregateError([pgError('ECONNREFUSED')], '')), 'ECONNREFUSED');
  // A driver message that quotes a URL with a password is redacted before it becomes ours.
  const leaky = queryError(pgError('XX000', 'failed for postgresql://spark:hunter22@pg/db'), {});
  assert.ok(!leaky.message.includes('hunter22'), leaky.message);
});

type SparkLike = { code: string; hint?: string };
