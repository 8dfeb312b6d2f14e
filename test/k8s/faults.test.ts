/**
 * Faults the real stack produces on demand: a ResourceQuota rejection and an admission denial (a
 * ValidatingAdmissionPolicy) on the run's control plane, each in a namespace of its own; the API
 * server or etcd stopped, on a control plane of this file's own. After each: nothing of the spark
 * in the cluster or the database, and the message says what happened.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kubectlOk, startControlPlane, testCluster, type ClusterInfo, type ControlPlane } from '../support/cluster/index.js';
import { runSpark, SPARK_BIN } from '../support/cli.js';
import { type TestServer, databaseOn, sparkEnv, testServers, unique } from '../support/postgres.js';

const server: TestServer = testServers()[0]!;
const KINDS = 'deployments,services,persistentvolumeclaims,configmaps,secrets';

function envFor(cluster: ClusterInfo, namespace: string): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'spark-k8s-faults-'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  return { ...sparkEnv(server), HOME: home, SPARK_CONFIG: join(home, 'config.json'), KUBECONFIG: cluster.kubeconfig, SPARK_NAMESPACE: namespace, SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub') };
}

const databaseExists = (name: string): Promise<boolean> => databaseOn(server, name);

async function assertNothingLeft(cluster: ClusterInfo, namespace: string, name: string): Promise<void> {
  assert.equal((await kubectlOk(cluster, ['get', KINDS, '-n', namespace, '-l', `spark-name=${name}`, '-o', 'name'])).trim(), '', `cluster objects of ${name} remain`);
  assert.equal(await databaseExists(name), false, `database ${name} remains`);
}

async function namespace(cluster: ClusterInfo, name: string, ...items: unknown[]): Promise<void> {
  await kubectlOk(cluster, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, ...items] }) });
  await kubectlOk(cluster, ['wait', 'serviceaccount/default', '-n', name, '--for=create', '--timeout=60s']);
}

describe('policy refusals of the run control plane', () => {
  let cluster: ClusterInfo;
  before(() => {
    cluster = testCluster();
  });

  test('a ResourceQuota that allows no LoadBalancer Service: create fails naming the quota and leaves nothing', async () => {
    const ns = 'spark-quota';
    await namespace(cluster, ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'no-load-balancers', namespace: ns }, spec: { hard: { 'services.loadbalancers': '0' } } });
    await kubectlOk(cluster, ['wait', 'resourcequota/no-load-balancers', '-n', ns, '--for=jsonpath={.status.hard.services\\.loadbalancers}=0', '--timeout=60s']);
    const name = unique('quota');
    const result = await runSpark(['create', name, '--no-shell'], { env: envFor(cluster, ns), timeoutMs: 120_000 });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /exceeded quota: no-load-balancers/);
    assert.match(result.stderr, /ResourceQuota/);
    assert.doesNotMatch(result.stderr, /rbac\.yaml/, 'a quota is not a missing permission');
    await assertNothingLeft(cluster, ns, name);
  });

  test('an admission policy that denies the Deployment: create fails with its message and leaves nothing', async () => {
    const ns = 'spark-admission';
    await namespace(cluster, ns);
    await kubectlOk(cluster, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'admissionregistration.k8s.io/v1',
            kind: 'ValidatingAdmissionPolicy',
            metadata: { name: 'spark-test-no-deployments' },
            spec: {
              failurePolicy: 'Fail',
              matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
              validations: [{ expression: 'false', message: 'deployments are frozen in this namespace' }],
            },
          },
          {
            apiVersion: 'admissionregistration.k8s.io/v1',
            kind: 'ValidatingAdmissionPolicyBinding',
            metadata: { name: 'spark-test-no-deployments' },
            spec: { policyName: 'spark-test-no-deployments', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } } },
          },
        ],
      }),
    });
    const name = unique('admit');
    // The policy takes effect once the API server has loaded it: until then a create would succeed.
    let result;
    for (let attempt = 0; ; attempt++) {
      result = await runSpark(['create', name, '--no-shell'], { env: envFor(cluster, ns), timeoutMs: 120_000 });
      if (result.code !== 0 || attempt === 5) break;
      assert.equal((await runSpark(['delete', name, '--yes'], { env: envFor(cluster, ns) })).code, 0);
    }
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /deployments are frozen in this namespace/);
    assert.doesNotMatch(result.stderr, /rbac\.yaml/, 'a policy denial is not a missing permission');
    await assertNothingLeft(cluster, ns, name);
  });
});

describe('a control plane that goes away', () => {
  let plane: ControlPlane;
  let env: Record<string, string>;
  before(async () => {
    plane = await startControlPlane();
    env = envFor(plane, 'spark');
  });
  after(async () => {
    await plane?.stop();
  });

  test('the API server stopped: create says connection refused, makes no database; nothing appears when it is back', async () => {
    const name = unique('noapi');
    await plane.stopComponent('kube-apiserver');
    try {
      const result = await runSpark(['create', name, '--no-shell'], { env, timeoutMs: 120_000 });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /Cannot reach the Kubernetes API server[^]*connection refused/);
      assert.equal(await databaseExists(name), false);
    } finally {
      await plane.startComponent('kube-apiserver');
    }
    await assertNothingLeft(plane, 'spark', name);
  });

  test('the API server stopped while create waits for the pod: spark fails, and once it is back nothing is left', async () => {
    const name = unique('midapi');
    const child = spawn(process.execPath, [SPARK_BIN, 'create', name, '--no-shell'], { env: { PATH: process.env.PATH, ...env, SPARK_IMAGE: 'ghcr.io/me/spark:never-ready' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const waiting = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('Waiting for the spark to be ready')) resolve();
    }));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    await waiting;
    await plane.stopComponent('kube-apiserver');
    let code: number;
    try {
      code = await exited;
    } finally {
      await plane.startComponent('kube-apiserver');
    }
    assert.equal(code, 1, stderr);
    assert.match(stderr, /connection refused|Cannot reach the Kubernetes API server/);
    // What could not be removed then is named, with the command that removes it.
    const cleanup = await runSpark(['delete', name, '--yes'], { env, timeoutMs: 120_000 });
    assert.match(stderr, new RegExp(`spark delete ${name}`));
    assert.equal(cleanup.code, 0, cleanup.stderr);
    await assertNothingLeft(plane, 'spark', name);
  });

  test('etcd stopped: the API server answers 5xx or times out; create fails, makes no database, and nothing is left', async () => {
    const name = unique('noetcd');
    await plane.stopComponent('etcd');
    try {
      const result = await runSpark(['create', name, '--no-shell'], { env, timeoutMs: 180_000 });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /HTTP 5\d\d|did not answer in time|timed out|Timeout/i);
      assert.equal(await databaseExists(name), false);
    } finally {
      await plane.startComponent('etcd');
    }
    await kubectlOk(plane, ['wait', '--for=jsonpath={.status.phase}=Active', 'namespace/spark', '--timeout=60s']);
    await assertNothingLeft(plane, 'spark', name);
  });
});
