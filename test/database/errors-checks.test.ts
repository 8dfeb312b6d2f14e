/**
 * What a user meets when something is wrong: each error names the fix and never a password;
 * the checks of `spark create --test` / `spark doctor` judge the role and leave nothing behind.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import type { CheckResult } from '../../src/core/ports.js';
import { databaseChecks, listSelftestLeftovers } from '../../src/database/checks.js';
import { connect } from '../../src/database/connect.js';
import { runSparkSource, sparkEnv, sparkSettings, makeRole, superuserClient, testServers } from '../support/postgres.js';

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const byId = (checks: CheckResult[]): Record<string, CheckResult> => Object.fromEntries(checks.map((c) => [c.id, c]));

for (const server of testServers()) {
  test(`${server.name}: a wrong password names the fix (POSTGRES_PASSWORD, rotation) and prints no password`, async () => {
    const wrong = 'Wrong-Pass-4-Test-@:/?#';
    const result = await runSparkSource(['admin', 'rotate-password'], { env: sparkEnv(server, 'spark', wrong) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /rejected the password of role spark/);
    assert.match(result.stderr, /POSTGRES_PASSWORD/);
    assert.match(result.stderr, /rotated/);
    for (const secret of [wrong, encodeURIComponent(wrong), server.sparkPassword]) assert.ok(!(result.stdout + result.stderr).includes(secret));
  });

  test(`${server.name}: the admin database missing (3D000) says how to create it`, async () => {
    await assert.rejects(connect({ ...sparkSettings(server), database: 'no_such_admin_db' }), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'DB_ADMIN_DATABASE_MISSING');
      assert.match(e.hint ?? '', /CREATE DATABASE "no_such_admin_db";/);
      return true;
    });
  });

  test(`${server.name}: checks pass for the spark role and leave no throwaway database`, async () => {
    const checks = byId(await databaseChecks(sparkSettings(server)));
    for (const id of ['db-connection', 'db-version', 'db-createdb', 'db-selftest']) assert.equal((checks[id] as { status: string }).status, 'ok', JSON.stringify(checks[id]));
    assert.match(String((checks['db-version'] as { detail?: string }).detail), new RegExp(`^PostgreSQL ${server.major}\\.`));
    assert.equal(checks['db-superuser'], undefined);
    assert.equal(checks['db-createrole'], undefined);
  });

  test(`${server.name}: the self-test removes databases an interrupted run left behind`, async () => {
    const settings = await makeRole(server);
    const client = await connect(settings);
    try {
      await client.query('CREATE DATABASE spark_selftest_interrupted');
      assert.deepEqual(await listSelftestLeftovers(client), ['spark_selftest_interrupted']);
      const check = byId(await databaseChecks(settings))['db-selftest'] as { status: string; detail?: string };
      assert.equal(check.status, 'ok');
      assert.match(check.detail ?? '', /removed 1 left by an interrupted run: spark_selftest_interrupted/);
      assert.deepEqual(await listSelftestLeftovers(client), []);
    } finally {
      await client.end();
    }
  });

  test(`${server.name}: a role without CREATEDB fails the check with the seed's fix`, async () => {
    const settings = await makeRole(server);
    const su = await superuserClient(server);
    await su.query(`ALTER ROLE ${settings.user} NOCREATEDB`);
    await su.end();
    const checks = byId(await databaseChecks(settings));
    assert.deepEqual(checks['db-createdb'], { id: 'db-createdb', title: `Role ${settings.user} can create databases`, status: 'fail', blocking: true, fix: `As a superuser: ALTER USER "${settings.user}" CREATEDB;` });
    const selftest = checks['db-selftest'] as { status: string; fix?: string };
    assert.equal(selftest.status, 'fail');
    assert.match(selftest.fix ?? '', /ALTER USER .* CREATEDB;/);
  });

  test(`${server.name}: running as the superuser warns with the seed's migration steps`, async () => {
    const checks = byId(await databaseChecks(sparkSettings(server, { user: server.superuser, password: server.superuserPassword })));
    const warning = checks['db-superuser'] as { status: string; fix?: string };
    assert.equal(warning.status, 'warn');
    assert.match(warning.fix ?? '', /spark admin setup-db/);
    assert.match(warning.fix ?? '', /source load-env.sh/);
    assert.match(warning.fix ?? '', /spark create --test/);
  });

  test(`${server.name}: CREATEROLE is ${server.major < 16 ? 'flagged as dangerous' : 'not flagged'} on PostgreSQL ${server.major}`, async () => {
    const settings = await makeRole(server);
    const su = await superuserClient(server);
    await su.query(`ALTER ROLE ${settings.user} CREATEROLE`);
    await su.end();
    const checks = byId(await databaseChecks(settings));
    if (server.major < 16) {
      const danger = checks['db-createrole'] as { status: string; title: string; fix?: string };
      assert.equal(danger.status, 'warn');
      assert.match(danger.title, /DANGER/);
      assert.equal(danger.fix, `As a superuser: ALTER USER "${settings.user}" NOCREATEROLE;`);
    } else {
      assert.equal(checks['db-createrole'], undefined);
    }
  });
}

test('connection refused on a closed port gives the seed checklist (also for localhost → AggregateError)', async () => {
  const [server] = testServers();
  const port = await closedPort();
  for (const host of ['127.0.0.1', 'localhost']) {
    await assert.rejects(connect({ ...sparkSettings(server!), host, port }), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'DB_CONNECTION_REFUSED', `${host}: ${e.message}`);
      for (const step of ['kubectl get pods -n postgres', 'kubectl get svc -n postgres', 'tailscale status', 'port-forward']) assert.ok(e.hint?.includes(step), step);
      return true;
    });
  }
  const cli = await runSparkSource(['admin', 'rotate-password'], { env: { ...sparkEnv(server!), POSTGRES_PORT: String(port) } });
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /Connection refused/);
  assert.match(cli.stderr, /tailscale status/);
  const checks = byId(await databaseChecks({ ...sparkSettings(server!), port }));
  assert.equal((checks['db-connection'] as { status: string }).status, 'fail');
  assert.equal((checks['db-selftest'] as { status: string }).status, 'skip');
});

test('an unknown host is a DNS failure with the checklist', async () => {
  const [server] = testServers();
  await assert.rejects(connect({ ...sparkSettings(server!), host: 'no-such-host.invalid' }), (e: Error & { code?: string; hint?: string }) => {
    assert.equal(e.code, 'DB_HOST_NOT_FOUND');
    assert.match(e.hint ?? '', /tailscale status/);
    return true;
  });
});

test('a server that never answers times out with the checklist, within the deadline', async () => {
  // A listener that accepts and never speaks: the start-up packet gets no answer.
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  const [server] = testServers();
  try {
    await assert.rejects(connect({ ...sparkSettings(server!), port, connectTimeoutMs: 300 }), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'DB_TIMEOUT');
      assert.match(e.hint ?? '', /kubectl get pods -n postgres/);
      return true;
    });
  } finally {
    silent.close();
    silent.unref();
  }
});

test('sslmode=require against a server without SSL says to match POSTGRES_SSLMODE', async () => {
  const [server] = testServers();
  await assert.rejects(connect({ ...sparkSettings(server!), sslmode: 'require' }), (e: Error & { code?: string; hint?: string }) => {
    assert.equal(e.code, 'DB_SSL');
    assert.match(e.hint ?? '', /POSTGRES_SSLMODE/);
    return true;
  });
  // prefer falls back to plain text, like libpq.
  const client = await connect({ ...sparkSettings(server!), sslmode: 'prefer' });
  await client.end();
});
