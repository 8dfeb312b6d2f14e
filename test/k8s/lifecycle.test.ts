/**
 * The lifecycle as a user runs it, against the real control plane (kube-apiserver, etcd,
 * controller-manager, scheduler, kwok's node) and a real PostgreSQL server: the built `spark` as a
 * subprocess, kubectl on what it made. After every scenario nothing of the spark may remain.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { kubectl, kubectlOk, NODE_CPUS, testCluster, type ClusterInfo } from '../support/cluster/index.js';
import { goSparkObjects } from '../support/fake-kube/fixtures.js';
import { type TestServer, databaseOn, sparkEnv, testServers, unique } from '../support/postgres.js';
import { SPARK_BIN, makeUserHome, runSpark } from '../support/cli.js';
import { configMapName, pvcName, secretName, serviceName, tailnetHostname } from '../../src/runtimes/kubernetes/labels.js';

const server: TestServer = testServers()[0]!;
const KINDS = 'deployments,services,persistentvolumeclaims,configmaps,secrets';
let cluster: ClusterInfo;
let home: string;
let env: Record<string, string>;

before(() => {
  cluster = testCluster();
  let fakeSsh: string;
  ({ home, fakeSsh } = makeUserHome('spark-k8s-lifecycle-'));
  env = {
    ...sparkEnv(server),
    HOME: home,
    SPARK_CONFIG: join(home, 'config.json'),
    KUBECONFIG: cluster.kubeconfig,
    SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'),
    SPARK_SSH: fakeSsh,
    ANTHROPIC_API_KEY: 'sk-ant-fake.LIFECYCLE-SECRET.KEY',
  };
});

/** `kind/name` of every object of the spark in the namespace, as the API server has them. */
async function objectsOf(name: string): Promise<string[]> {
  return (await kubectlOk(cluster, ['get', KINDS, '-n', 'spark', '-l', `spark-name=${name}`, '-o', 'name'])).trim().split('\n').filter(Boolean).sort();
}

const databaseExists = (name: string): Promise<boolean> => databaseOn(server, name);

async function assertNothingLeft(name: string): Promise<void> {
  assert.deepEqual(await objectsOf(name), [], `cluster objects of ${name} remain`);
  assert.equal(await databaseExists(name), false, `database ${name} remains`);
  const pods = await kubectlOk(cluster, ['get', 'pods', '-n', 'spark', '-l', `spark-name=${name}`, '-o', 'name']);
  assert.equal(pods.trim(), '', 'no pod of it remains');
}

test('full cycle on a real cluster: create → list → status → shell → delete leaves nothing', async () => {
  const name = unique('cycle');
  const created = await runSpark(['create', name, '--no-shell', '--repo', 'https://github.com/me/app.git'], { env, timeoutMs: 120_000 });
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, new RegExp(`ssh user@${tailnetHostname(name)}`));
  assert.equal(await databaseExists(name), true);
  assert.deepEqual(await objectsOf(name), [
    `configmap/${configMapName(name)}`,
    `deployment.apps/${name}`,
    `persistentvolumeclaim/${pvcName(name)}`,
    `secret/${secretName(name)}`,
    `service/${serviceName(name)}`,
  ].sort());
  // The real controllers did their part: a ReplicaSet and a scheduled, Ready pod; the volume is bound.
  const pod = JSON.parse(await kubectlOk(cluster, ['get', 'pods', '-n', 'spark', '-l', `spark-name=${name}`, '-o', 'json'])) as { items: Array<{ spec: { nodeName?: string }; status: { conditions?: Array<{ type: string; status: string }> } }> };
  assert.equal(pod.items.length, 1);
  assert.equal(pod.items[0]?.spec.nodeName, 'kwok-node-0');
  assert.ok(pod.items[0]?.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  assert.equal((await kubectlOk(cluster, ['get', 'pvc', pvcName(name), '-n', 'spark', '-o', 'jsonpath={.status.phase}'])).trim(), 'Bound');

  const listed = await runSpark(['list', '--json'], { env });
  assert.equal(listed.code, 0, listed.stderr);
  const row = (JSON.parse(listed.stdout) as { sparks: Array<{ name: string; state: string; repo: string; database: { name: string } | null }> }).sparks.find((s) => s.name === name);
  assert.equal(row?.state, 'Running');
  assert.equal(row?.repo, 'https://github.com/me/app.git');
  assert.equal(row?.database?.name, name);

  const status = await runSpark(['status', name], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Running/);
  assert.match(status.stdout, new RegExp(pvcName(name)));

  const shell = await runSpark(['shell', name, '--', 'make', 'test'], { env: { ...env, FAKE_SSH_EXIT: '7' } });
  assert.equal(shell.code, 7);
  assert.deepEqual(readFileSync(join(home, 'ssh-argv'), 'utf8').trim().split('\n'), ['--', `user@${tailnetHostname(name)}`, 'make', 'test']);

  const deleted = await runSpark(['delete', name, '--yes'], { env, timeoutMs: 120_000 });
  assert.equal(deleted.code, 0, deleted.stderr);
  await assertNothingLeft(name);
  for (const output of [created, listed, status, deleted]) {
    assert.ok(!(output.stdout + output.stderr).includes(server.sparkPassword), 'password printed');
    assert.ok(!(output.stdout + output.stderr).includes('LIFECYCLE-SECRET'), 'API key printed');
  }
});

test('kubectl get, describe, scale and delete work on what spark made', async () => {
  const name = unique('kctl');
  const created = await runSpark(['create', name, '--no-shell'], { env, timeoutMs: 120_000 });
  assert.equal(created.code, 0, created.stderr);
  const table = await kubectlOk(cluster, ['get', 'deployments', '-n', 'spark', '-l', `spark-name=${name}`]);
  assert.match(table, new RegExp(`^${name}\\s+1/1\\s+1\\s+1`, 'm'));
  const described = await kubectlOk(cluster, ['describe', 'deployment', name, '-n', 'spark']);
  assert.match(described, /StrategyType:\s+Recreate/);
  assert.match(described, new RegExp(`ClaimName:\\s+${pvcName(name)}`));

  await kubectlOk(cluster, ['scale', `deployment/${name}`, '-n', 'spark', '--replicas=0']);
  await kubectlOk(cluster, ['wait', 'pods', '-n', 'spark', '-l', `spark-name=${name}`, '--for=delete', '--timeout=60s']);
  const stopped = await runSpark(['list', '--json'], { env });
  // Scaled to 0 by hand is asleep too, without a time it went to sleep.
  const row = (JSON.parse(stopped.stdout) as { sparks: Array<{ name: string; state: string; sleepingSince: string | null }> }).sparks.find((s) => s.name === name);
  assert.equal(row?.state, 'Sleeping');
  assert.equal(row?.sleepingSince, null);
  await kubectlOk(cluster, ['scale', `deployment/${name}`, '-n', 'spark', '--replicas=1']);
  await kubectlOk(cluster, ['wait', 'deployment', name, '-n', 'spark', '--for=condition=Available', '--timeout=60s']);

  // Deleting the owner (the ConfigMap) lets the garbage collector remove the rest.
  await kubectlOk(cluster, ['delete', 'configmap', configMapName(name), '-n', 'spark', '--wait=true']);
  await kubectlOk(cluster, ['wait', KINDS, '-n', 'spark', '-l', `spark-name=${name}`, '--for=delete', '--timeout=60s']);
  assert.deepEqual(await objectsOf(name), []);
  const gone = await runSpark(['delete', name, '--yes'], { env });
  assert.equal(gone.code, 0, gone.stderr);
  await assertNothingLeft(name);
});

test('a Go-CLI spark applied with kubectl apply -f of a kind: List is listed, shown and deleted', async () => {
  const name = unique('old');
  const list = { apiVersion: 'v1', kind: 'List', items: goSparkObjects(name) };
  const applied = await kubectl(cluster, ['apply', '-n', 'spark', '-f', '-'], { input: JSON.stringify(list) });
  assert.equal(applied.code, 0, applied.stderr);
  await kubectlOk(cluster, ['wait', 'deployment', name, '-n', 'spark', '--for=condition=Available', '--timeout=60s']);
  const listed = await runSpark(['list', '--json'], { env });
  const row = (JSON.parse(listed.stdout) as { sparks: Array<{ name: string; legacy: boolean; state: string }> }).sparks.find((s) => s.name === name);
  assert.equal(row?.legacy, true);
  assert.equal(row?.state, 'Running');
  const status = await runSpark(['status', name], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Go CLI/);
  const deleted = await runSpark(['rm', name, '--yes'], { env, timeoutMs: 120_000 });
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(await objectsOf(name), []);
});

const failures: Array<[string, Record<string, string>, RegExp[]]> = [
  ['ImagePullBackOff', { SPARK_IMAGE: 'registry.invalid/nope:1' }, [/ImagePullBackOff/, /registry\.invalid\/nope:1/]],
  ['CrashLoopBackOff', { SPARK_IMAGE: 'ghcr.io/me/spark:crash-loop' }, [/keeps crashing \(CrashLoopBackOff/]],
  ['Unschedulable', { SPARK_CPU_REQUEST: String(NODE_CPUS * 4), SPARK_CPU_LIMIT: String(NODE_CPUS * 4) }, [/cannot be scheduled \(Unschedulable/, /Insufficient cpu/]],
];
for (const [reason, extra, expected] of failures) {
  test(`a pod that is ${reason} on the real scheduler/node fails fast, says why and leaves nothing`, async () => {
    const name = unique(reason.toLowerCase().slice(0, 8));
    const result = await runSpark(['create', name, '--no-shell', '--timeout', '5m'], { env: { ...env, ...extra }, timeoutMs: 120_000 });
    assert.equal(result.code, 1, result.stderr);
    for (const pattern of expected) assert.match(result.stderr, pattern);
    await assertNothingLeft(name);
  });
}

test('Ctrl-C while waiting for a pod that never gets Ready removes everything and says so', async () => {
  const name = unique('sigint');
  const child = spawn(process.execPath, [SPARK_BIN, 'create', name, '--no-shell'], { env: { PATH: process.env.PATH, ...env, SPARK_IMAGE: 'ghcr.io/me/spark:never-ready' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const waiting = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('Waiting for the spark to be ready')) resolve();
  }));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  await waiting;
  await kubectlOk(cluster, ['wait', 'pods', '-n', 'spark', '-l', `spark-name=${name}`, '--for=jsonpath={.status.phase}=Running', '--timeout=60s']);
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /Interrupted/);
  await assertNothingLeft(name);
});

test('create --test passes on the real cluster and doctor is green for the cluster', async () => {
  const result = await runSpark(['create', '--test'], { env });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const doctor = await runSpark(['doctor'], { env });
  assert.match(doctor.stdout, /✓ Kubernetes cluster is reachable/);
});
