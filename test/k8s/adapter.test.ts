/**
 * The cluster adapter against the real control plane: the objects as the API server stores them
 * (defaults, ownerReferences), readiness as the real scheduler, controller-manager and kwok's node
 * report it, deletion through the real garbage collector.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { SparkSpec } from '../../src/core/ports.js';
import { SparkError } from '../../src/errors.js';
import { openKubernetesRuntime, type KubernetesRuntime } from '../../src/runtimes/kubernetes/runtime.js';
import { kubectlOk, NODE_CPUS, testCluster, type ClusterInfo } from '../support/cluster/index.js';
import { applyList } from '../support/cluster/rbac.js';
import { goSparkObjects } from '../support/fake-kube/fixtures.js';
import { unique } from '../support/postgres.js';
import { configMapName, pvcName, secretName, serviceName } from '../../src/runtimes/kubernetes/labels.js';

// Objects as kubectl prints them: the assertions check the shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

function spec(name: string): SparkSpec {
  return {
    name,
    repo: 'https://github.com/me/app',
    databaseName: name,
    databaseUrl: `postgresql://spark:not-a-real-pw@db.example:5432/${name}?sslmode=disable`,
    isolation: 'shared',
    createdAt: '2025-01-01T00:00:00.000Z',
    creator: 'me@laptop',
    sshPublicKey: 'ssh-ed25519 AAAAC3Nza me@laptop',
    anthropicApiKey: 'sk-ant-fake-adapter',
  };
}

function runtimeFor(cluster: ClusterInfo, extra: Record<string, string> = {}): KubernetesRuntime {
  const values: Record<string, string> = { KUBECONFIG: cluster.kubeconfig, SPARK_NAMESPACE: 'spark', SPARK_IMAGE: 'ghcr.io/me/spark:1', ...extra };
  return openKubernetesRuntime({ get: (key) => values[key] }, { deleteWaitMs: 60_000 });
}

async function rejection(promise: Promise<unknown>): Promise<SparkError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SparkError, `expected a SparkError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

async function get(cluster: ClusterInfo, kind: string, name: string): Promise<Loose> {
  return JSON.parse(await kubectlOk(cluster, ['get', kind, name, '-n', 'spark', '-o', 'json', '--show-managed-fields']));
}

describe('the Kubernetes adapter against the real control plane', () => {
  const cluster = testCluster();
  // The adapter's watch streams outlive waitReady/delete here: they re-watch after their signal
  // aborted (the fake hid it by closing every connection on stop; the CLI hides it by exiting).
  // Known issue, see the report of branch `cluster`. End the file once the tests have reported.
  after(() => {
    setTimeout(() => process.exit(), 1_000).unref();
  });

  test('create makes the five objects owned by the ConfigMap; the pod is scheduled and Ready; delete lets the GC remove everything', async () => {
    const runtime = runtimeFor(cluster);
    const name = unique('adapt');
    const s = spec(name);
    await runtime.claim(s);
    await runtime.create(s);
    const cm = await get(cluster, 'configmap', configMapName(name));
    for (const [kind, objectName] of [['secret', secretName(name)], ['pvc', pvcName(name)], ['service', serviceName(name)], ['deployment', name]]) {
      const o = await get(cluster, kind!, objectName!);
      assert.deepEqual(o.metadata.ownerReferences?.map((r: Loose) => [r.kind, r.name, r.uid]), [['ConfigMap', configMapName(name), cm.metadata.uid]], `${objectName} owner`);
      assert.equal(o.metadata.managedFields?.some((f: Loose) => f.manager === 'spark' && f.operation === 'Apply'), true, `${objectName} is server-side applied by spark`);
    }
    const service = await get(cluster, 'service', serviceName(name));
    assert.equal(service.spec.type, 'LoadBalancer');
    assert.equal(service.spec.loadBalancerClass, 'tailscale');
    assert.match(service.spec.clusterIP, /^10\.0\.0\./, 'a real ClusterIP was allocated');

    const ready = await runtime.waitReady(name, { timeoutMs: 60_000 });
    assert.equal(ready.state, 'Running');
    const status = await runtime.status(name);
    assert.equal(status?.state, 'Running');
    assert.ok(status?.objects.every((o) => o.exists), JSON.stringify(status?.objects));
    assert.ok(status?.events.some((e) => e.reason === 'Scheduled'), `the scheduler's event: ${JSON.stringify(status?.events)}`);
    assert.equal((await runtime.list()).find((x) => x.name === name)?.state, 'Running');

    // Applying again converges (server-side apply, same field manager): nothing changes, no error.
    const generation = (await get(cluster, 'deployment', name)).metadata.generation;
    await runtime.create(s);
    assert.equal((await get(cluster, 'deployment', name)).metadata.generation, generation);
    assert.equal((await rejection(runtime.claim(s))).code, 'NAME_TAKEN');

    const report = await runtime.delete(name);
    assert.deepEqual(report.left, []);
    assert.equal((await kubectlOk(cluster, ['get', 'all,pvc,configmaps,secrets', '-n', 'spark', '-l', `spark-name=${name}`, '-o', 'name'])).trim(), '');
    assert.deepEqual(await runtime.delete(name), { removed: [], left: [] });
  });

  const fatal: Array<[string, Record<string, string>, string, RegExp]> = [
    ['ImagePullBackOff', { SPARK_IMAGE: 'registry.invalid/spark:1' }, 'READY_IMAGE_PULL', /registry\.invalid\/spark:1[^]*ImagePullBackOff|ImagePullBackOff[^]*registry\.invalid\/spark:1/],
    ['CrashLoopBackOff', { SPARK_IMAGE: 'ghcr.io/me/spark:crash-loop' }, 'READY_CRASHLOOP', /CrashLoopBackOff/],
    ['Unschedulable', { SPARK_CPU_REQUEST: String(NODE_CPUS * 2), SPARK_CPU_LIMIT: String(NODE_CPUS * 2) }, 'READY_UNSCHEDULABLE', /Insufficient cpu/],
    ['a missing StorageClass', { SPARK_STORAGE_CLASS: 'no-such-class' }, 'READY_VOLUME', /-storage/],
  ];
  for (const [what, extra, code, message] of fatal) {
    test(`${what} fails the wait at once with ${code}`, async () => {
      const runtime = runtimeFor(cluster, extra);
      const name = unique('fatal');
      await runtime.claim(spec(name));
      await runtime.create(spec(name));
      try {
        const started = Date.now();
        const error = await rejection(runtime.waitReady(name, { timeoutMs: 120_000 }));
        assert.equal(error.code, code, error.message);
        assert.match(error.message, message);
        assert.ok(Date.now() - started < 60_000, 'failed long before the deadline');
      } finally {
        assert.deepEqual((await runtime.delete(name)).left, []);
      }
    });
  }

  test('a Go-CLI spark applied with kubectl is listed as legacy and deleted', async () => {
    const runtime = runtimeFor(cluster);
    const name = unique('goold');
    await applyList(cluster, goSparkObjects(name));
    await kubectlOk(cluster, ['wait', 'deployment', name, '-n', 'spark', '--for=condition=Available', '--timeout=60s']);
    const listed = (await runtime.list()).find((x) => x.name === name);
    assert.equal(listed?.legacy, true);
    assert.equal(listed?.state, 'Running');
    const report = await runtime.delete(name);
    assert.deepEqual([...report.removed].sort(), [`Deployment ${name}`, `PersistentVolumeClaim ${pvcName(name)}`, `Service ${serviceName(name)}`]);
  });
});
