/**
 * `spark create NEW --from NAME` on the real control plane with a real PostgreSQL: the fork's
 * database is a copy of its source's; its home PVC is a clone (spec.dataSource) only when the source
 * volume's provisioner can clone, else a fresh home, said plainly. The test cluster's provisioner is
 * the in-tree hostPath one, which cannot clone: the clone path is shown by a source volume whose
 * provisioner annotation names a CSI driver.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { before, test } from 'node:test';
import { pvcName } from '../../src/runtimes/kubernetes/labels.js';
import { kubectlOk, testCluster, type ClusterInfo } from '../support/cluster/index.js';
import { runSpark, SPARK_BIN } from '../support/cli.js';
import { sparkEnv, superuserClient, testServers, unique, type TestServer } from '../support/postgres.js';

const server: TestServer = testServers()[0]!;
let cluster: ClusterInfo;
let env: Record<string, string>;

before(() => {
  cluster = testCluster();
  const home = mkdtempSync(join(tmpdir(), 'spark-k8s-fork-'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  env = { ...sparkEnv(server), HOME: home, SPARK_CONFIG: join(home, 'config.json'), KUBECONFIG: cluster.kubeconfig, SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'), ANTHROPIC_API_KEY: 'sk-ant-fake' };
});

async function sql(database: string, text: string): Promise<unknown[]> {
  const client = await superuserClient(server, database);
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

async function leftOf(name: string): Promise<string> {
  const objects = await kubectlOk(cluster, ['get', 'deployments,services,persistentvolumeclaims,configmaps,secrets', '-n', 'spark', '-l', `spark-name=${name}`, '-o', 'name']);
  const dbs = await sql(server.adminDatabase, `SELECT datname FROM pg_database WHERE datname = '${name}'`);
  return `${objects.trim()}${dbs.length ? ` database ${name}` : ''}`;
}

test('a fork on a cluster that cannot clone volumes: database and repo copied, a fresh home said plainly', async () => {
  const parent = unique('parent');
  const child = unique('child');
  try {
    const made = await runSpark(['create', parent, '--no-shell', '--repo', 'https://github.com/me/app.git'], { env, timeoutMs: 120_000 });
    assert.equal(made.code, 0, made.stderr);
    await sql(parent, `CREATE TABLE notes (id int); INSERT INTO notes VALUES (1), (2)`);
    // On the Kubernetes runtime too: snapshot, change, restore; the tag names the namespace.
    const snap = await runSpark(['db', 'snapshot', parent], { env });
    assert.equal(snap.code, 0, snap.stderr);
    const id = snap.stdout.trim();
    const tag = await sql(server.adminDatabase, `SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = '${parent}@${id}'`);
    assert.match(String((tag[0] as { c: string }).c), /"runtime":"kubernetes","namespace":"spark"/);
    await sql(parent, `DELETE FROM notes`);
    const restored = await runSpark(['db', 'restore', parent, id], { env });
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(await sql(parent, 'SELECT id FROM notes ORDER BY id'), [{ id: 1 }, { id: 2 }]);
    const other = await runSpark(['-n', 'elsewhere', 'db', 'snapshots', parent, '--json'], { env });
    assert.notEqual(other.code, 0, 'another namespace sees no spark of that name');

    const forked = await runSpark(['create', child, '--from', parent, '--no-shell'], { env, timeoutMs: 120_000 });
    assert.equal(forked.code, 0, forked.stderr);
    assert.match(forked.stderr, new RegExp(`home volume: fresh, not a copy of ${parent}'s: its storage provisioner kubernetes.io/host-path cannot clone volumes`));
    assert.match(forked.stdout, new RegExp(`from +${parent}: database and home volume copied`));
    assert.deepEqual(await sql(child, 'SELECT id FROM notes ORDER BY id'), [{ id: 1 }, { id: 2 }]);
    const pvc = JSON.parse(await kubectlOk(cluster, ['get', 'pvc', pvcName(child), '-n', 'spark', '-o', 'json'])) as { spec: { dataSource?: unknown }; status: { phase: string } };
    assert.equal(pvc.spec.dataSource, undefined);
    assert.equal(pvc.status.phase, 'Bound');
    const listed = JSON.parse((await runSpark(['list', '--json'], { env })).stdout) as { sparks: Array<{ name: string; repo: string | null }> };
    assert.equal(listed.sparks.find((s) => s.name === child)?.repo, 'https://github.com/me/app.git', 'the repo follows the source');
  } finally {
    await runSpark(['delete', child, parent, '--yes', '--ignore-not-found'], { env, timeoutMs: 120_000 });
  }
  assert.equal(await leftOf(child), '');
  assert.equal(await leftOf(parent), '');
  assert.deepEqual(await sql(server.adminDatabase, `SELECT datname FROM pg_database WHERE datname LIKE '${parent}@%'`), [], 'delete took the snapshot along');
});

test('a fork whose source volume came from a CSI driver asks for a clone: its PVC carries spec.dataSource (the real API server accepts it)', async () => {
  const parent = unique('csisrc');
  const child = unique('csifork');
  try {
    const made = await runSpark(['create', parent, '--no-shell'], { env, timeoutMs: 120_000 });
    assert.equal(made.code, 0, made.stderr);
    await kubectlOk(cluster, ['annotate', 'pvc', pvcName(parent), '-n', 'spark', '--overwrite', 'volume.kubernetes.io/storage-provisioner=csi.spark.test']);

    // The hostPath provisioner will refuse the clone, so the fork fails and rolls back, maybe within
    // moments: a watch sees its claim where a poll could miss it. The watch's first list prints the
    // claims already there (the parent's); from then on no event is missed.
    const watch = spawn(join(cluster.binDir, 'kubectl'), ['--kubeconfig', cluster.kubeconfig, 'get', 'pvc', '-n', 'spark', '--watch', '-o', 'jsonpath={.metadata.name} {.spec.dataSource.kind}/{.spec.dataSource.name}{"\\n"}'], { env: { PATH: process.env.PATH, HOME: cluster.dir }, stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    const claimOf = (name: string): string | undefined => seen.split('\n').find((line) => line.startsWith(`${pvcName(name)} `))?.split(' ')[1];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`kubectl --watch listed no claim: ${seen}`)), 30_000);
        watch.stdout.on('data', (d: Buffer) => {
          seen += d.toString();
          if (claimOf(parent) !== undefined) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const fork = spawn(process.execPath, [SPARK_BIN, 'create', child, '--from', parent, '--no-shell', '--timeout', '20s'], { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
      const exited = await new Promise<number | null>((resolve) => fork.on('close', resolve));
      for (const deadline = Date.now() + 10_000; claimOf(child) === undefined && Date.now() < deadline; ) await delay(100);
      assert.equal(claimOf(child), `PersistentVolumeClaim/${pvcName(parent)}`);
      assert.notEqual(exited, 0, 'the claim cannot be provisioned here, so the fork does not get Ready');
    } finally {
      watch.kill();
    }
  } finally {
    await runSpark(['delete', child, parent, '--yes', '--ignore-not-found'], { env, timeoutMs: 120_000 });
  }
  assert.equal(await leftOf(child), '');
  assert.equal(await leftOf(parent), '');
});
