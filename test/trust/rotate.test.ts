/**
 * `spark admin rotate-password` keeps every spark working whatever the render mode (issue 11, item 1):
 * with --yes (and --json) it rotates, rewrites the DATABASE_URL of every spark that uses the role —
 * not only those carrying the old password — restarts them, and stores the password in the
 * spark-cli-config Secret; sparks with their own role are left alone. Without a terminal and without
 * --yes the new password is never lost: it is refused before anything changes, or really shown.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runSpark } from '../support/cli.js';
import { makeRole, sparkEnv, testServers, unique } from '../support/postgres.js';
import { databaseUrlOf, logsIn, restartedAt, setDatabaseUrl, startCluster, storedPassword, withPassword, type TestCluster } from './password-support.js';

// Isolation mode "role" needs PostgreSQL 16+: the first server of the run is 18.
const server = testServers().find((s) => s.major >= 16)!;
let cluster: TestCluster;

before(async () => {
  cluster = await startCluster('trust-rotate');
});

after(async () => {
  await cluster.stop();
});

async function create(env: Record<string, string>, name: string): Promise<void> {
  const made = await runSpark(['create', name, '--no-shell'], { env });
  assert.equal(made.code, 0, made.stderr);
}

test('rotate-password without a terminal and without --yes, nothing else affected: the new password is really shown once (never ***), and works', async () => {
  const settings = await makeRole(server, { prefix: 'spark_show' });
  const env = { ...cluster.env, ...sparkEnv(server, settings.user, settings.password) };
  const before = await storedPassword(cluster);
  const rotated = await runSpark(['admin', 'rotate-password'], { env });
  assert.equal(rotated.code, 0, rotated.stderr);
  const shown = rotated.stdout.trim().split('\n').at(-1) ?? '';
  assert.match(shown, /^[A-Za-z0-9_-]{43}$/, `the password alone on the last line of stdout, got ${JSON.stringify(shown)}`);
  assert.match(rotated.stderr, /shown once/);
  assert.equal(await storedPassword(cluster), before, 'the Secret is written only with consent');
  const url = `postgresql://${settings.user}:${encodeURIComponent(shown)}@${server.host}:${server.port}/${server.adminDatabase}`;
  assert.ok(await logsIn(url), 'the shown password is the new one');

  // --json: the same rotation, the password in the document.
  const again = await runSpark(['admin', 'rotate-password', '--json'], { env: { ...env, POSTGRES_PASSWORD: shown } });
  assert.equal(again.code, 0, again.stderr);
  const { password } = JSON.parse(again.stdout) as { password: string };
  assert.match(password, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(await logsIn(url.replace(encodeURIComponent(shown), encodeURIComponent(password))));
});

test('rotate-password --yes --json rewrites every shared-role spark (whatever password it carried), restarts them, stores the password; own-role sparks untouched', async () => {
  const settings = await makeRole(server, { prefix: 'spark_rot', isolation: 'role' });
  const env = { ...cluster.env, ...sparkEnv(server, settings.user, settings.password) };
  const [a, b, stale, own] = [unique('rot-a'), unique('rot-b'), unique('rot-stale'), unique('rot-own')];
  for (const name of [a, b, stale]) await create(env, name);
  await create({ ...env, SPARK_DB_ISOLATION: 'role' }, own);
  // A URL that carries neither the old nor the new password (edited by hand, or left by an older rotation).
  await setDatabaseUrl(cluster, stale, withPassword(await databaseUrlOf(cluster, stale), 'not-the-password-1'));
  const ownUrl = await databaseUrlOf(cluster, own);

  // Without --yes and without a terminal: refused, nothing changed.
  const refused = await runSpark(['admin', 'rotate-password', '--json'], { env });
  assert.equal(refused.code, 2, refused.stdout);
  assert.match(JSON.parse(refused.stdout).error.message, new RegExp(a));
  assert.ok(await logsIn(await databaseUrlOf(cluster, a)), 'the old password still works');

  const rotated = await runSpark(['admin', 'rotate-password', '--yes', '--json'], { env });
  assert.equal(rotated.code, 0, rotated.stderr + rotated.stdout);
  const report = JSON.parse(rotated.stdout) as { rewritten: string[]; ownRole: string[]; failed: unknown[]; storedIn: string | null; password: string | null };
  assert.deepEqual([...report.rewritten].sort(), [a, b, stale].sort());
  assert.ok(report.ownRole.includes(own));
  assert.deepEqual(report.failed, []);
  assert.equal(report.storedIn, 'Secret spark-cli-config in namespace spark');
  assert.equal(report.password, null, 'stored, so not printed');

  const password = await storedPassword(cluster);
  assert.ok(password && password !== settings.password, 'the new password is in the spark-cli-config Secret');
  assert.ok(!(rotated.stdout + rotated.stderr).includes(password), 'the stored password is not printed');
  for (const name of [a, b, stale]) {
    const url = await databaseUrlOf(cluster, name);
    assert.equal(decodeURIComponent(new URL(url).password), password, `${name} carries the new password`);
    assert.ok(await logsIn(url), `${name} logs in`);
    assert.notEqual(await restartedAt(cluster, name), '', `${name} was restarted`);
  }
  assert.equal(await databaseUrlOf(cluster, own), ownUrl, 'the own-role spark keeps its URL');
  assert.ok(await logsIn(ownUrl), 'and it still logs in');
  assert.equal(await restartedAt(cluster, own), '', 'and is not restarted');
  assert.equal(await logsIn(withPassword(await databaseUrlOf(cluster, a), settings.password)), false, 'the old password no longer works');

  // The password now comes from the Secret: spark goes on working without POSTGRES_PASSWORD.
  const { POSTGRES_PASSWORD: _old, ...fromSecret } = env;
  const deleted = await runSpark(['delete', a, b, stale, own, '--yes'], { env: fromSecret });
  assert.equal(deleted.code, 0, deleted.stderr);
});

test('setup-db --yes --json stores the new password in the Secret as it does without --json; without --yes it is shown, unmasked', async () => {
  const stored = unique('spark_stored').replace(/-/g, '_');
  const env = { ...cluster.env, POSTGRES_USER: stored, POSTGRES_DB: server.adminDatabase };
  const result = await runSpark(['admin', 'setup-db', '--superuser-url', server.superuserUrl, '--yes', '--json'], { env });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { password: string | null; storedIn: string | null };
  assert.deepEqual(report, { ...report, password: null, storedIn: 'Secret spark-cli-config in namespace spark' });
  const password = await storedPassword(cluster);
  assert.ok(password, 'the Secret holds the password');
  assert.ok(await logsIn(`postgresql://${stored}:${encodeURIComponent(password)}@${server.host}:${server.port}/${server.adminDatabase}`));

  const shown = unique('spark_shown').replace(/-/g, '_');
  const json = await runSpark(['admin', 'setup-db', '--superuser-url', server.superuserUrl, '--json'], { env: { ...env, POSTGRES_USER: shown } });
  assert.equal(json.code, 0, json.stderr);
  const { password: printed } = JSON.parse(json.stdout) as { password: string };
  assert.match(printed, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(await logsIn(`postgresql://${shown}:${encodeURIComponent(printed)}@${server.host}:${server.port}/${server.adminDatabase}`));
  assert.equal(await storedPassword(cluster), password, 'not written without --yes');
});
