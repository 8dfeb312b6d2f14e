/**
 * The lifecycle as a user runs it: the built `spark` as a subprocess, the fake cluster, a real
 * PostgreSQL server. After every scenario nothing of the spark may remain in either.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { goSparkYaml, startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';
import { kubectl, kubectlEnv } from '../support/fake-kube/testing.js';
import { type TestServer, databaseOn, makeRole, sparkEnv, superuserClient, testServers, unique } from '../support/postgres.js';
import { SPARK_BIN, makeUserHome, runSpark } from '../support/cli.js';
import { freePort } from '../../src/database/server.js';

const server: TestServer = testServers()[0]!;
let cluster: FakeCluster;
let home: string;
let kubeconfig: string;
let env: Record<string, string>;
const KINDS = ['deployments', 'services', 'persistentvolumeclaims', 'configmaps', 'secrets'];

before(async () => {
  cluster = await startFakeCluster();
  let fakeSsh: string;
  ({ home, fakeSsh } = makeUserHome('spark-lifecycle-'));
  kubeconfig = cluster.writeKubeconfig(join(home, 'kubeconfig'));
  env = {
    ...sparkEnv(server),
    HOME: home,
    SPARK_CONFIG: join(home, 'config.json'),
    KUBECONFIG: kubeconfig,
    SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'),
    SPARK_SSH: fakeSsh,
    ANTHROPIC_API_KEY: 'sk-ant-fake.LIFECYCLE-SECRET.KEY',
  };
});

after(async () => {
  await cluster.stop();
});

function objectsOf(name: string): string[] {
  return KINDS.flatMap((kind) => cluster.list(kind, 'spark').filter((o) => o.metadata?.labels?.['spark-name'] === name).map((o) => `${kind}/${o.metadata?.name}`));
}

const databaseExists = (name: string): Promise<boolean> => databaseOn(server, name);

async function assertNothingLeft(name: string): Promise<void> {
  assert.deepEqual(objectsOf(name), [], `cluster objects of ${name} remain`);
  assert.equal(await databaseExists(name), false, `database ${name} remains`);
}

test('full cycle: create → list → status → shell → delete leaves nothing', async () => {
  const name = unique('cycle');
  const created = await runSpark(['create', name, '--no-shell', '--repo', 'https://github.com/me/app.git'], { env });
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, new RegExp(`ssh user@spark-${name}`));
  assert.match(created.stderr, /Creating the cluster objects/);
  assert.equal(await databaseExists(name), true);
  assert.equal(objectsOf(name).length, 5);

  const listed = await runSpark(['list', '--json'], { env });
  assert.equal(listed.code, 0, listed.stderr);
  const row = (JSON.parse(listed.stdout) as { sparks: Array<{ name: string; state: string; repo: string; database: { name: string } | null }> }).sparks.find((s) => s.name === name);
  assert.equal(row?.state, 'Running');
  assert.equal(row?.repo, 'https://github.com/me/app.git');
  assert.equal(row?.database?.name, name);

  const status = await runSpark(['status', name], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Running/);
  assert.match(status.stdout, new RegExp(`${name}-storage`));

  const shell = await runSpark(['shell', name, '--', 'make', 'test'], { env: { ...env, FAKE_SSH_EXIT: '7' } });
  assert.equal(shell.code, 7, 'the remote command\'s exit code is spark\'s');
  assert.deepEqual(readFileSync(join(home, 'ssh-argv'), 'utf8').trim().split('\n'), ['--', `user@spark-${name}`, 'make', 'test']);
  const unreachable = await runSpark(['shell', name], { env: { ...env, FAKE_SSH_EXIT: '255' } });
  assert.equal(unreachable.code, 255);
  assert.match(unreachable.stderr, new RegExp(`could not reach user@spark-${name}[^]*tailscale status[^]*spark status ${name}`));
  assert.doesNotMatch(shell.stderr, /could not reach/, 'a remote command that fails is not a connection failure');

  const deleted = await runSpark(['delete', name, '--yes'], { env });
  assert.equal(deleted.code, 0, deleted.stderr);
  await assertNothingLeft(name);
  for (const output of [created, listed, status, deleted]) {
    assert.ok(!(output.stdout + output.stderr).includes(server.sparkPassword), 'password printed');
    assert.ok(!(output.stdout + output.stderr).includes('LIFECYCLE-SECRET'), 'API key printed');
  }
});

const objectFaults: Array<[string, { verb: 'create' | 'patch'; resource: string }]> = [
  ['ConfigMap', { verb: 'create', resource: 'configmaps' }],
  ['Secret', { verb: 'patch', resource: 'secrets' }],
  ['PersistentVolumeClaim', { verb: 'patch', resource: 'persistentvolumeclaims' }],
  ['Service', { verb: 'patch', resource: 'services' }],
  ['Deployment', { verb: 'patch', resource: 'deployments' }],
];
for (const [what, rule] of objectFaults) {
  test(`a failure creating the ${what} leaves nothing behind, exits 1 and names the step`, async () => {
    const name = unique('fault');
    const fault = cluster.controls.fail({ ...rule, name: undefined, times: 1, code: 500, message: 'injected failure' });
    const result = await runSpark(['create', name, '--no-shell'], { env });
    fault.cancel();
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`failed to (create|patch) ${what} ${name}`));
    await assertNothingLeft(name);
  });
}

test('a failure creating the database leaves nothing behind', async () => {
  const settings = await makeRole(server, { prefix: 'nocreatedb' });
  const su = await superuserClient(server);
  await su.query(`ALTER ROLE "${settings.user}" NOCREATEDB`);
  await su.end();
  const name = unique('nodb');
  const result = await runSpark(['create', name, '--no-shell'], { env: { ...env, POSTGRES_USER: settings.user, POSTGRES_PASSWORD: settings.password } });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /CREATEDB/);
  await assertNothingLeft(name);
});

test('a pod stuck in ImagePullBackOff fails fast, names the image and leaves nothing', async () => {
  const name = unique('pull');
  cluster.controls.failPods(name, 'ImagePullBackOff');
  const result = await runSpark(['create', name, '--no-shell', '--timeout', '5m'], { env: { ...env, SPARK_IMAGE: 'registry.invalid/nope:1' } });
  cluster.controls.failPods(name, null);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /ImagePullBackOff/);
  assert.match(result.stderr, /registry\.invalid\/nope:1/);
  await assertNothingLeft(name);
});

test('Ctrl-C while waiting removes everything and says so', async () => {
  const name = unique('sigint');
  cluster.controls.setReadyDelay(60_000);
  try {
    const child = spawn(process.execPath, [SPARK_BIN, 'create', name, '--no-shell'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const waiting = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('Waiting for the spark to be ready')) resolve();
    }));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    await waiting;
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /Interrupted/);
    await assertNothingLeft(name);
  } finally {
    cluster.controls.setReadyDelay(0);
  }
});

test('two concurrent creates of one name: exactly one wins, the loser leaves nothing of its own', async () => {
  const name = unique('race');
  const [a, b] = await Promise.all([runSpark(['create', name, '--no-shell'], { env }), runSpark(['create', name, '--no-shell'], { env })]);
  assert.deepEqual([a.code, b.code].sort(), [0, 1], `${a.stderr}\n${b.stderr}`);
  const loser = a.code === 1 ? a : b;
  assert.match(loser.stderr, /already exists/);
  assert.equal(objectsOf(name).length, 5, 'the winner is whole');
  assert.equal(await databaseExists(name), true);
  assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
  await assertNothingLeft(name);
});

test('a wrong password fails before any cluster object is made, with the fix and no password', async () => {
  const name = unique('badpw');
  const before = cluster.counters.snapshot();
  const wrong = 'Wrong-Pw-3x@mple!';
  const result = await runSpark(['create', name, '--no-shell'], { env: { ...env, POSTGRES_PASSWORD: wrong } });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /POSTGRES_PASSWORD/);
  assert.ok(!result.stderr.includes(wrong) && !result.stdout.includes(wrong));
  const after = cluster.counters.snapshot();
  for (const key of Object.keys(after).filter((k) => /^(create|patch) /.test(k))) assert.equal(after[key], before[key], `${key} was called`);
  await assertNothingLeft(name);
});

test('a Go-CLI spark applied with kubectl is listed, shown and deleted', async () => {
  const name = unique('old');
  const applied = await kubectl(['apply', '-n', 'spark', '-f', '-'], kubectlEnv(kubeconfig), { input: goSparkYaml(name) });
  assert.equal(applied.code, 0, applied.stderr);
  await cluster.waitFor(() => cluster.list('pods', 'spark').some((p) => p.metadata?.labels?.['spark-name'] === name && (p.status as { phase?: string } | undefined)?.phase === 'Running'));
  const listed = await runSpark(['list', '--json'], { env });
  const row = (JSON.parse(listed.stdout) as { sparks: Array<{ name: string; legacy: boolean; state: string }> }).sparks.find((s) => s.name === name);
  assert.equal(row?.legacy, true);
  assert.equal(row?.state, 'Running');
  const status = await runSpark(['status', name], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Go CLI/);
  const doctor = JSON.parse((await runSpark(['doctor', '--json'], { env })).stdout) as { checks: Array<{ id: string; title: string; detail?: string }> };
  const legacy = doctor.checks.filter((c) => c.id === 'legacy');
  assert.equal(legacy.length, 1, 'doctor says it in one line, however many there are');
  assert.match(legacy[0]?.detail ?? '', new RegExp(name));
  const deleted = await runSpark(['rm', name, '--yes'], { env });
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(objectsOf(name), []);
});

test('without POSTGRES_PASSWORD, list, status and doctor still show the cluster; delete removes nothing unless --keep-db', async () => {
  const name = unique('nopw');
  const created = await runSpark(['create', name, '--no-shell'], { env });
  assert.equal(created.code, 0, created.stderr);
  const noPassword = Object.fromEntries(Object.entries(env).filter(([key]) => key !== 'POSTGRES_PASSWORD'));

  const listed = await runSpark(['list', '--json'], { env: noPassword });
  assert.equal(listed.code, 0, listed.stderr);
  const listing = JSON.parse(listed.stdout) as { sparks: Array<{ name: string; state: string }>; unavailable: Array<{ part: string; reason: string; fix: string | null }> };
  assert.equal(listing.sparks.find((s) => s.name === name)?.state, 'Running');
  assert.deepEqual(listing.unavailable.map((u) => [u.part, u.reason]), [['database', 'POSTGRES_PASSWORD is not set.']]);
  assert.match(listing.unavailable[0]?.fix ?? '', /export POSTGRES_PASSWORD/);
  const status = await runSpark(['status', name], { env: noPassword });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /database\s+unavailable: POSTGRES_PASSWORD is not set/);
  const doctor = await runSpark(['doctor'], { env: noPassword });
  assert.equal(doctor.code, 1);
  assert.match(doctor.stdout, /✓ Kubernetes cluster is reachable/);
  assert.match(doctor.stdout, /✗ POSTGRES_PASSWORD is set/);

  // Deleting the objects first would strand the database with nothing to say whose it is.
  const refused = await runSpark(['delete', name, '--yes'], { env: noPassword });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Nothing was deleted/);
  assert.match(refused.stderr, new RegExp(`spark delete ${name} --keep-db`));
  const down = await runSpark(['delete', name, '--yes'], { env: { ...env, POSTGRES_PORT: String(await freePort()) } });
  assert.equal(down.code, 1);
  assert.match(down.stderr, /Nothing was deleted/);
  assert.equal(objectsOf(name).length, 5);

  const kept = await runSpark(['delete', name, '--yes', '--keep-db'], { env: noPassword });
  assert.equal(kept.code, 0, kept.stderr);
  assert.deepEqual(objectsOf(name), []);
  assert.equal(await databaseExists(name), true);
  const rest = await runSpark(['delete', name, '--yes'], { env });
  assert.equal(rest.code, 0, rest.stderr);
  await assertNothingLeft(name);
});

test('create --test passes on a correct setup and leaves nothing behind', async () => {
  const result = await runSpark(['create', '--test'], { env });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /✓/);
  const client = await superuserClient(server);
  const leftovers = await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'spark_selftest_%'");
  await client.end();
  assert.equal(leftovers.rowCount, 0);
});

test('create --test fails with the fix when the role lacks CREATEDB, the password is wrong, or the namespace is missing', async () => {
  const settings = await makeRole(server, { prefix: 'testcheck' });
  const su = await superuserClient(server);
  await su.query(`ALTER ROLE "${settings.user}" NOCREATEDB`);
  await su.end();
  const noCreateDb = await runSpark(['create', '--test', '--json'], { env: { ...env, POSTGRES_USER: settings.user, POSTGRES_PASSWORD: settings.password } });
  assert.equal(noCreateDb.code, 1);
  assert.match(noCreateDb.stdout, /CREATEDB/);

  const wrongPassword = await runSpark(['create', '--test'], { env: { ...env, POSTGRES_PASSWORD: 'not-the-password' } });
  assert.equal(wrongPassword.code, 1);
  assert.match(wrongPassword.stdout, /✗/);
  assert.ok(!wrongPassword.stdout.includes('not-the-password'));

  const missingNamespace = await runSpark(['create', '--test'], { env: { ...env, SPARK_NAMESPACE: 'nowhere' } });
  assert.equal(missingNamespace.code, 1);
  assert.match(missingNamespace.stdout, /namespace/i);
});

test('delete without --yes and without a terminal refuses with exit 2', async () => {
  const result = await runSpark(['delete', 'anything'], { env });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--yes/);
});

test('without a cluster, create says so and suggests the local runtime', async () => {
  const result = await runSpark(['create', 'x', '--no-shell'], { env: { ...env, KUBECONFIG: join(home, 'missing') } });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /--runtime local/);
});

test('setup-db with a cluster but no terminal shows the new password and says it did not write the Secret', async () => {
  const role = unique('spark_setup').replace(/-/g, '_');
  const result = await runSpark(['admin', 'setup-db', '--superuser-url', server.superuserUrl], { env: { ...env, POSTGRES_USER: role, POSTGRES_DB: server.adminDatabase } });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /Not written to the spark-cli-config Secret: no terminal to ask \(--yes writes it\)/);
  assert.match(result.stdout.trim().split('\n').at(-1) ?? '', /^[A-Za-z0-9_-]{40,}$/, 'the password, alone on the last line');
  assert.equal(cluster.get('secrets', 'spark', 'spark-cli-config'), undefined);
});

test('rotate-password with sparks: refuses without --yes, then rewrites their DATABASE_URL and the spark-cli-config Secret', async () => {
  const settings = await makeRole(server, { prefix: 'rotate' });
  const roleEnv = { ...env, POSTGRES_USER: settings.user, POSTGRES_PASSWORD: settings.password };
  const name = unique('rot');
  assert.equal((await runSpark(['create', name, '--no-shell'], { env: roleEnv })).code, 0);
  const urlOf = () => {
    const secret = cluster.get('secrets', 'spark', `${name}-secret`) as { data?: Record<string, string> };
    return new URL(Buffer.from(secret.data!.DATABASE_URL!, 'base64').toString());
  };
  assert.equal(decodeURIComponent(urlOf().password), settings.password);

  const refused = await runSpark(['admin', 'rotate-password'], { env: roleEnv });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, new RegExp(name));

  const rotated = await runSpark(['admin', 'rotate-password', '--yes'], { env: roleEnv });
  assert.equal(rotated.code, 0, rotated.stderr);
  const newPassword = decodeURIComponent(urlOf().password);
  assert.notEqual(newPassword, settings.password);
  const stored = cluster.get('secrets', 'spark', 'spark-cli-config') as { data?: Record<string, string> };
  assert.equal(Buffer.from(stored.data!.POSTGRES_PASSWORD!, 'base64').toString(), newPassword);
  assert.ok(!(rotated.stdout + rotated.stderr).includes(newPassword), 'the stored password is not printed');

  const { POSTGRES_PASSWORD: _old, ...withoutPassword } = roleEnv;
  // The new password now comes from the Secret, so spark still works without POSTGRES_PASSWORD set.
  const deleted = await runSpark(['delete', name, '--yes'], { env: withoutPassword });
  assert.equal(deleted.code, 0, deleted.stderr);
  await assertNothingLeft(name);
});
