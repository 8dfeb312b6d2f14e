/**
 * The repair path (issue 11, item 1): sparks locked out of their database — the role's password
 * changed behind their back, as the old `rotate-password --json` did — are reported by `spark doctor`
 * (a real login per spark) and fixed by `spark admin repair`, which writes the role's current
 * password (here from the spark-cli-config Secret) into their DATABASE_URL and restarts them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scramVerifier } from '../../src/database/scram.js';
import { runSpark } from '../support/cli.js';
import { makeRole, sparkEnv, superuserClient, testServers, unique } from '../support/postgres.js';
import { databaseUrlOf, logsIn, restartedAt, startCluster, writeStoredPassword, type TestCluster } from './password-support.js';

const server = testServers()[0]!;
let cluster: TestCluster;

before(async () => {
  cluster = await startCluster('trust-repair');
});

after(async () => {
  await cluster.stop();
});

interface Check {
  id: string;
  status: string;
  fix?: string;
}

async function doctorChecks(env: Record<string, string>): Promise<Check[]> {
  const result = await runSpark(['doctor', '--json'], { env });
  return (JSON.parse(result.stdout) as { checks: Check[] }).checks;
}

test('doctor reports each spark whose DATABASE_URL no longer logs in; admin repair rewrites and restarts them; then doctor is content', async () => {
  const settings = await makeRole(server, { prefix: 'spark_rep' });
  const env = { ...cluster.env, ...sparkEnv(server, settings.user, settings.password) };
  const [a, b] = [unique('locked-a'), unique('locked-b')];
  for (const name of [a, b]) {
    const made = await runSpark(['create', name, '--no-shell'], { env });
    assert.equal(made.code, 0, made.stderr);
  }
  assert.ok((await doctorChecks(env)).some((c) => c.id === 'spark-logins' && c.status === 'ok'), 'all log in at first');

  // The role gets a new password that only the spark-cli-config Secret knows.
  const current = `current-${unique('pw')}`;
  const su = await superuserClient(server);
  await su.query(`ALTER ROLE "${settings.user}" PASSWORD '${scramVerifier(current)}'`);
  await su.end();
  await writeStoredPassword(cluster, current);
  const { POSTGRES_PASSWORD: _stale, ...fromSecret } = env;
  for (const name of [a, b]) assert.equal(await logsIn(await databaseUrlOf(cluster, name)), false, `${name} is locked out`);

  const checks = await doctorChecks(fromSecret);
  for (const name of [a, b]) {
    const check = checks.find((c) => c.id === `login-${name}`);
    assert.equal(check?.status, 'fail', `doctor reports ${name}: ${JSON.stringify(checks)}`);
    assert.match(check?.fix ?? '', /spark admin repair/);
  }

  const refused = await runSpark(['admin', 'repair'], { env: fromSecret });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /--yes/, refused.stderr);
  assert.equal(await logsIn(await databaseUrlOf(cluster, a)), false, 'nothing changed without consent');

  const repaired = await runSpark(['admin', 'repair', '--yes', '--json'], { env: fromSecret });
  assert.equal(repaired.code, 0, repaired.stderr + repaired.stdout);
  assert.deepEqual((JSON.parse(repaired.stdout) as { repaired: string[] }).repaired.sort(), [a, b].sort());
  assert.ok(!(repaired.stdout + repaired.stderr).includes(current), 'no password printed');
  for (const name of [a, b]) {
    assert.ok(await logsIn(await databaseUrlOf(cluster, name)), `${name} logs in again`);
    assert.notEqual(await restartedAt(cluster, name), '', `${name} was restarted`);
  }
  const after = await doctorChecks(fromSecret);
  assert.deepEqual(after.filter((c) => c.id.startsWith('login-')), [], 'doctor finds no locked-out spark');
  assert.ok(after.some((c) => c.id === 'spark-logins' && c.status === 'ok'));

  const again = await runSpark(['admin', 'repair'], { env: fromSecret });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to repair/);
  assert.equal((await runSpark(['delete', a, b, '--yes'], { env: fromSecret })).code, 0);
});

test('admin repair refuses a POSTGRES_PASSWORD that does not log in, and writes nothing into sparks', async () => {
  const settings = await makeRole(server, { prefix: 'spark_rep2' });
  const env = { ...cluster.env, ...sparkEnv(server, settings.user, settings.password) };
  const name = unique('kept');
  assert.equal((await runSpark(['create', name, '--no-shell'], { env })).code, 0);
  const before = await databaseUrlOf(cluster, name);
  const result = await runSpark(['admin', 'repair', '--yes'], { env: { ...env, POSTGRES_PASSWORD: 'Wrong-Pw-For-Repair-9' } });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /rejected the password of role/);
  assert.equal(await databaseUrlOf(cluster, name), before);
  assert.equal(await restartedAt(cluster, name), '');
  assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
});
