/**
 * Rotation when the spark-cli-config Secret cannot be written (issue 11, item 1): the role keeps its
 * password and no spark is touched, so nothing is lost. This uses the fake API server's fault
 * injection because a real control plane cannot be made to fail one write on demand.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runSpark } from '../support/cli.js';
import { startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';
import { makeRole, sparkEnv, testServers, unique } from '../support/postgres.js';
import { databaseUrlOf, logsIn, restartedAt, storedPassword, writeStoredPassword, type TestCluster } from './password-support.js';

const server = testServers()[0]!;
let fake: FakeCluster;
let cluster: TestCluster;

before(async () => {
  fake = await startFakeCluster();
  const home = mkdtempSync(join(tmpdir(), 'spark-trust-rotate-faults-'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  const kubeconfig = fake.writeKubeconfig(join(home, 'kubeconfig'));
  cluster = { kubeconfig, home, env: { HOME: home, SPARK_CONFIG: join(home, 'config.json'), KUBECONFIG: kubeconfig, SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub') }, stop: () => fake.stop() };
});

after(async () => {
  await cluster.stop();
});

test('rotate-password --yes: when the Secret cannot be written, the role keeps its password and no spark is rewritten', async () => {
  const settings = await makeRole(server, { prefix: 'spark_rotf' });
  const env = { ...cluster.env, ...sparkEnv(server, settings.user, settings.password) };
  const name = unique('rotf');
  assert.equal((await runSpark(['create', name, '--no-shell'], { env })).code, 0);
  await writeStoredPassword(cluster, settings.password);
  const fault = fake.controls.fail({ verb: 'patch', resource: 'secrets', name: 'spark-cli-config', code: 500, message: 'injected failure' });
  const result = await runSpark(['admin', 'rotate-password', '--yes'], { env });
  fault.cancel();
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /Not rotated: the new password could not be stored in Secret spark-cli-config/);
  assert.equal(await storedPassword(cluster), settings.password);
  const url = await databaseUrlOf(cluster, name);
  assert.equal(decodeURIComponent(new URL(url).password), settings.password);
  assert.ok(await logsIn(url), 'the spark still logs in: the role kept its password');
  assert.equal(await restartedAt(cluster, name), '');
  assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
});
