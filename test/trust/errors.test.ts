/**
 * Errors name the right thing (issue 11, item 13), and `setup-db --print-sql` says in SQL when there
 * is nothing to change. The built `spark`, a real PostgreSQL, and for the namespace case a cluster
 * reached only through a kubeconfig.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runSpark } from '../support/cli.js';
import { startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';
import { kubectl, kubectlEnv } from '../support/fake-kube/testing.js';
import { makeRole, sparkEnv, superuserClient, testServers, unique } from '../support/postgres.js';

const server = testServers()[0]!;
let cluster: FakeCluster;
let home: string;
let env: Record<string, string>;

before(async () => {
  // The fake API server stands in for a cluster; the tests see it only through the kubeconfig.
  cluster = await startFakeCluster();
  home = mkdtempSync(join(tmpdir(), 'spark-trust-errors-'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  env = { HOME: home, SPARK_CONFIG: join(home, 'config.json'), KUBECONFIG: cluster.writeKubeconfig(join(home, 'kubeconfig')), SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub') };
});

after(async () => {
  await cluster.stop();
});

test('setup-db with a wrong superuser password talks about --superuser-url, not POSTGRES_PASSWORD', async () => {
  const wrong = server.superuserUrl.replace(encodeURIComponent(server.superuserPassword), 'Wrong-Superuser-Pw-7');
  const result = await runSpark(['admin', 'setup-db', '--superuser-url', wrong], { env: { ...env, KUBECONFIG: join(home, 'none'), POSTGRES_DB: server.adminDatabase } });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /rejected the password of postgres given in --superuser-url/);
  assert.match(result.stderr, /fix: .*--superuser-url/);
  assert.doesNotMatch(result.stderr, /Check POSTGRES_PASSWORD|rotate-password/);
  assert.ok(!result.stderr.includes('Wrong-Superuser-Pw-7'), 'the password is never printed');
});

test('a missing kubeconfig: the error names the path spark looked at', async () => {
  const missing = join(home, 'no-such-dir', 'kubeconfig');
  for (const args of [['create', 'lookat', '--no-shell'], ['status', 'lookat']]) {
    const result = await runSpark(args, { env: { ...env, ...sparkEnv(server), KUBECONFIG: missing } });
    assert.equal(result.code, 1, result.stderr);
    assert.ok(result.stderr.includes(missing), `spark ${args[0]} names ${missing}:\n${result.stderr}`);
  }
  // Without KUBECONFIG, kubectl's default file is the one named.
  const result = await runSpark(['status', 'lookat'], { env: { ...env, ...sparkEnv(server), KUBECONFIG: '' } });
  assert.ok(result.stderr.includes(join(home, '.kube', 'config')), result.stderr);
});

test('spark -n nosuchns create says the namespace is missing, with the command that makes it, and leaves nothing', async () => {
  const settings = await makeRole(server, { prefix: 'spark_ns' });
  const name = unique('nsless');
  const result = await runSpark(['-n', 'nosuchns', 'create', name, '--no-shell'], { env: { ...env, ...sparkEnv(server, settings.user, settings.password) } });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /namespace "nosuchns" does not exist/);
  assert.match(result.stderr, /kubectl create namespace nosuchns/);
  const su = await superuserClient(server);
  try {
    assert.equal((await su.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount, 0, 'no database left');
  } finally {
    await su.end();
  }
  const left = await kubectl(['get', 'configmaps,secrets', '-A', '-l', `spark-name=${name}`, '-o', 'name'], kubectlEnv(env.KUBECONFIG!));
  assert.equal(left.stdout.trim(), '', 'no cluster object left');
});

test('setup-db --print-sql with a superuser URL: a role that needs nothing gets a "-- nothing to change" comment; without a URL the full script', async () => {
  const settings = await makeRole(server, { prefix: 'spark_sql' });
  const noCluster = { ...env, KUBECONFIG: join(home, 'none'), POSTGRES_USER: settings.user, POSTGRES_DB: server.adminDatabase };
  const nothing = await runSpark(['admin', 'setup-db', '--print-sql', '--superuser-url', server.superuserUrl], { env: noCluster });
  assert.equal(nothing.code, 0, nothing.stderr);
  assert.match(nothing.stdout, new RegExp(`^-- nothing to change: role ${settings.user} is already set up`, 'm'));
  assert.ok(nothing.stdout.split('\n').every((line) => line === '' || line.startsWith('--')), `only comments:\n${nothing.stdout}`);

  const full = await runSpark(['admin', 'setup-db', '--print-sql'], { env: noCluster });
  assert.equal(full.code, 0, full.stderr);
  assert.match(full.stdout, new RegExp(`CREATE ROLE "?${settings.user}"? WITH LOGIN CREATEDB`));
  assert.match(full.stdout, /GRANT CONNECT ON DATABASE/);
  assert.doesNotMatch(full.stdout, /nothing to change/);
});
