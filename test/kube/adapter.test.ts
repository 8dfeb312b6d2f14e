/**
 * The cluster adapter against the fake API server (real HTTP, real @kubernetes/client-node):
 * create, list, readiness, delete, errors, checks and the spark-cli-config Secret.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SparkSpec } from '../../src/core/ports.js';
import { SparkError } from '../../src/errors.js';
import { redact } from '../../src/redact.js';
import { openSparkSecrets, readCliConfigSecret, writeCliConfigSecretValues } from '../../src/runtimes/kubernetes/cli-config-secret.js';
import { LIST_PAGE } from '../../src/runtimes/kubernetes/client.js';
import { configMapName, deploymentName, pvcName, secretName, serviceName, sparkLabels } from '../../src/runtimes/kubernetes/labels.js';
import { DEFAULT_MANIFEST_OPTIONS, SSH_BANNER_PROBE, sparkManifests } from '../../src/runtimes/kubernetes/manifests.js';
import { openKubernetesRuntime, type KubernetesRuntime } from '../../src/runtimes/kubernetes/runtime.js';
import { goSparkObjects, startFakeCluster, type FakeCluster, type KubeObject } from '../support/fake-kube/index.js';
import { selfSigned } from '../support/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'spark-adapter-'));

function spec(name: string, extra: Partial<SparkSpec> = {}): SparkSpec {
  return {
    name,
    repo: 'https://github.com/me/app',
    databaseName: name,
    databaseUrl: `postgresql://spark:s3cr3t-Pa55@db.example:5432/${name}?sslmode=disable`,
    isolation: 'shared',
    createdAt: '2025-01-01T00:00:00.000Z',
    creator: 'me@laptop',
    sshPublicKey: 'ssh-ed25519 AAAAC3Nza me@laptop',
    anthropicApiKey: 'sk-ant-api03-abcdef',
    ...extra,
  };
}

function settings(kubeconfig: string, extra: Record<string, string> = {}): { get(key: string): string | undefined } {
  const values: Record<string, string> = { KUBECONFIG: kubeconfig, SPARK_NAMESPACE: 'spark', SPARK_IMAGE: 'ghcr.io/me/spark:1', ...extra };
  return { get: (key) => values[key] };
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

async function make(runtime: KubernetesRuntime, s: SparkSpec): Promise<void> {
  await runtime.claim(s);
  await runtime.create(s);
}

// Tests read arbitrary object shapes from the fake; the assertions check them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

describe('the Kubernetes adapter against the fake cluster', () => {
  let cluster: FakeCluster;
  let kubeconfig: string;
  let runtime: KubernetesRuntime;

  before(async () => {
    cluster = await startFakeCluster();
    kubeconfig = cluster.writeKubeconfig(join(dir, 'kubeconfig'));
    runtime = openKubernetesRuntime(settings(kubeconfig), { deleteWaitMs: 5_000 });
  });
  after(async () => {
    await cluster.stop();
  });

  test('create makes the five objects exactly as specified, owned by the ConfigMap, and the spark becomes Running', async () => {
    const progress: string[] = [];
    const s = spec('brave-dolphin');
    await runtime.claim(s);
    await runtime.create(s, { onProgress: (e) => progress.push(`${e.step}: ${e.detail ?? ''}`) });

    const cm = cluster.get('configmaps', 'spark', configMapName('brave-dolphin'));
    assert.ok(cm?.metadata.uid);
    for (const [resource, name] of [
      ['configmaps', configMapName('brave-dolphin')],
      ['secrets', secretName('brave-dolphin')],
      ['persistentvolumeclaims', pvcName('brave-dolphin')],
      ['services', serviceName('brave-dolphin')],
      ['deployments', deploymentName('brave-dolphin')],
    ] as const) {
      const o = cluster.get(resource, 'spark', name);
      assert.ok(o, `${resource} ${name} exists`);
      assert.deepEqual({ ...o.metadata.labels }, sparkLabels('brave-dolphin'), `${name} labels`);
      assert.equal(o.metadata.annotations?.['spark.dev/repo'], 'https://github.com/me/app');
      if (resource === 'configmaps') assert.equal(o.metadata.ownerReferences, undefined, 'the ConfigMap is the root');
      else assert.deepEqual(o.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid]), [['ConfigMap', 'brave-dolphin-config', cm.metadata.uid]], `${name} owner`);
    }
    // The Deployment: probe, mounts, env, image.
    const deployment = cluster.get('deployments', 'spark', 'brave-dolphin') as KubeObject & { spec: Loose };
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(deployment.spec.strategy.type, 'Recreate');
    assert.equal(container.image, 'ghcr.io/me/spark:1');
    assert.deepEqual(container.readinessProbe.exec.command, ['/bin/bash', '-c', SSH_BANNER_PROBE]);
    assert.deepEqual(container.envFrom, [{ secretRef: { name: 'brave-dolphin-secret' } }]);
    assert.deepEqual(container.env, [{ name: 'SPARK_NAME', value: 'brave-dolphin' }]);
    const mounts = Object.fromEntries(container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.mountPath, m.name]));
    assert.equal(mounts['/home/user'], 'home');
    const volumes = Object.fromEntries(deployment.spec.template.spec.volumes.map((v: Loose) => [v.name, v.persistentVolumeClaim?.claimName ?? v.configMap?.name]));
    assert.deepEqual(volumes, { home: 'brave-dolphin-storage', config: 'brave-dolphin-config' });
    // The Service: Tailscale load balancer class and hostname.
    const service = cluster.get('services', 'spark', 'brave-dolphin-ssh') as KubeObject & { spec: Loose };
    assert.equal(service.spec.type, 'LoadBalancer');
    assert.equal(service.spec.loadBalancerClass, 'tailscale');
    assert.equal(service.metadata.annotations?.['tailscale.com/hostname'], 'spark-brave-dolphin');
    assert.deepEqual(service.spec.ports.map((p: { port: number }) => p.port), [22]);
    // The Secret carries the values (base64), the PVC its size.
    const secret = cluster.get('secrets', 'spark', 'brave-dolphin-secret') as KubeObject & { data: Record<string, string> };
    assert.equal(Buffer.from(secret.data.DATABASE_URL ?? '', 'base64').toString(), s.databaseUrl);
    assert.equal((cluster.get('persistentvolumeclaims', 'spark', 'brave-dolphin-storage') as Loose).spec.resources.requests.storage, '10Gi');
    assert.ok(progress.some((p) => p.includes('Deployment brave-dolphin')), progress.join('\n'));

    const ready = await runtime.waitReady('brave-dolphin', { timeoutMs: 10_000 });
    assert.equal(ready.state, 'Running');
    assert.equal(ready.ssh, 'ssh user@spark-brave-dolphin');
    const status = await runtime.status('brave-dolphin');
    assert.ok(status);
    assert.equal(status.state, 'Running');
    assert.ok(status.objects.every((o) => o.exists), JSON.stringify(status.objects));
    assert.equal(status.phase, 'Running');
    assert.ok(status.events.some((e) => e.reason === 'Scheduled'), JSON.stringify(status.events));
    const listed = (await runtime.list()).find((x) => x.name === 'brave-dolphin');
    assert.equal(listed?.state, 'Running');
    assert.equal(listed?.host, 'spark-brave-dolphin.tail1234.ts.net');
    assert.equal(listed?.repo, 'https://github.com/me/app');
    assert.equal(listed?.createdAt, '2025-01-01T00:00:00.000Z');
    assert.equal(listed?.legacy, undefined);
    assert.equal(await runtime.exists('brave-dolphin'), true);
  });

  test('create is idempotent, and a second claim of the name is NAME_TAKEN', async () => {
    const s = spec('twice-owl');
    await make(runtime, s);
    await runtime.create(s);
    assert.equal(cluster.list('deployments', 'spark').filter((d) => d.metadata.name === 'twice-owl').length, 1);
    const error = await rejection(runtime.claim(s));
    assert.equal(error.code, 'NAME_TAKEN');
    assert.match(error.hint ?? '', /spark delete twice-owl/);
  });

  test('a pod stuck in ImagePullBackOff fails the wait at once with the image and the reason', async () => {
    cluster.controls.failPods('bad-image', 'ImagePullBackOff');
    await make(runtime, spec('bad-image'));
    const progress: string[] = [];
    const started = Date.now();
    const error = await rejection(runtime.waitReady('bad-image', { timeoutMs: 60_000, onProgress: (e) => progress.push(e.detail ?? '') }));
    assert.equal(error.code, 'READY_IMAGE_PULL');
    assert.match(error.message, /ghcr\.io\/me\/spark:1/);
    assert.match(error.message, /ImagePullBackOff/);
    assert.match(error.hint ?? '', /SPARK_IMAGE/);
    assert.ok(Date.now() - started < 30_000, 'failed long before the deadline');
    const listed = (await runtime.list()).find((x) => x.name === 'bad-image');
    assert.equal(listed?.state, 'Failed');
    assert.equal(listed?.reason, 'ImagePullBackOff');
  });

  test('an unschedulable pod fails the wait at once with the scheduler message and a hint', async () => {
    cluster.controls.failPods('no-room', 'Unschedulable');
    await make(runtime, spec('no-room'));
    const error = await rejection(runtime.waitReady('no-room', { timeoutMs: 60_000 }));
    assert.equal(error.code, 'READY_UNSCHEDULABLE');
    assert.match(error.message, /Insufficient cpu/);
    assert.match(error.hint ?? '', /kubectl -n spark describe pod no-room-/);
  });

  test('a crash loop and a missing Secret key are fatal too', async () => {
    cluster.controls.failPods('crashy', 'CrashLoopBackOff');
    await make(runtime, spec('crashy'));
    assert.equal((await rejection(runtime.waitReady('crashy', { timeoutMs: 60_000 }))).code, 'READY_CRASHLOOP');
    cluster.controls.failPods('no-config', 'CreateContainerConfigError');
    await make(runtime, spec('no-config'));
    assert.equal((await rejection(runtime.waitReady('no-config', { timeoutMs: 60_000 }))).code, 'READY_CONFIG');
  });

  test('a volume that cannot be provisioned fails the wait with the storage class fix', async () => {
    cluster.controls.setPvcBinding('ProvisioningFailed');
    try {
      await make(runtime, spec('no-disk'));
      const progress: string[] = [];
      const error = await rejection(runtime.waitReady('no-disk', { timeoutMs: 60_000, onProgress: (e) => progress.push(e.detail ?? '') }));
      assert.equal(error.code, 'READY_VOLUME');
      assert.match(error.message, /no-disk-storage/);
      assert.match(error.hint ?? '', /SPARK_STORAGE_CLASS/);
    } finally {
      cluster.controls.setPvcBinding('Bound');
    }
  });

  test('at the deadline the wait fails with READY_TIMEOUT, keeping the spark and saying how to go on', async () => {
    cluster.controls.setReadyDelay(600_000);
    try {
      await make(runtime, spec('slow-sloth'));
      const error = await rejection(runtime.waitReady('slow-sloth', { timeoutMs: 300 }));
      assert.equal(error.code, 'READY_TIMEOUT');
      assert.match(error.message, /slow-sloth/);
      assert.match(error.hint ?? '', /spark shell slow-sloth/);
      assert.match(error.hint ?? '', /spark delete slow-sloth/);
      assert.ok(cluster.get('deployments', 'spark', 'slow-sloth'), 'the spark is kept');
    } finally {
      cluster.controls.setReadyDelay(0);
    }
  });

  test('an interrupted wait ends at once', async () => {
    cluster.controls.setReadyDelay(600_000);
    try {
      await make(runtime, spec('stopped-early'));
      const controller = new AbortController();
      const wait = runtime.waitReady('stopped-early', { timeoutMs: 60_000, signal: controller.signal, onProgress: () => controller.abort() });
      assert.equal((await rejection(wait)).code, 'INTERRUPTED');
    } finally {
      cluster.controls.setReadyDelay(0);
    }
  });

  test('the wait survives watch streams that end, reset or expire (410 Gone)', async () => {
    cluster.controls.setReadyDelay(600_000);
    try {
      await make(runtime, spec('patient-yak'));
      cluster.controls.fail({ verb: 'watch', resource: 'pods', code: 410, reason: 'Expired', times: 1 });
      cluster.controls.fail({ verb: 'watch', resource: 'pods', action: 'reset', times: 1 });
      const before = cluster.counters.get('list pods');
      const wait = runtime.waitReady('patient-yak', { timeoutMs: 20_000 });
      await cluster.waitFor(() => cluster.counters.get('watch pods') >= 3, { description: 'the pod watch re-established twice' });
      cluster.controls.setReadyDelay(0);
      assert.equal((await wait).state, 'Running');
      assert.ok(cluster.counters.get('list pods') - before >= 2, 're-listed after 410');
    } finally {
      cluster.controls.clearFaults();
      cluster.controls.setReadyDelay(0);
    }
  });

  test('delete removes every object, waits for them, and is idempotent', async () => {
    await make(runtime, spec('gone-gull'));
    const report = await runtime.delete('gone-gull');
    assert.deepEqual(report.left, []);
    assert.deepEqual(
      [...report.removed].sort(),
      ['ConfigMap gone-gull-config', 'Deployment gone-gull', 'PersistentVolumeClaim gone-gull-storage', 'Secret gone-gull-secret', 'Service gone-gull-ssh'],
    );
    for (const resource of ['deployments', 'services', 'persistentvolumeclaims', 'configmaps', 'secrets']) {
      assert.equal(cluster.list(resource, 'spark').filter((o) => o.metadata.name?.startsWith('gone-gull')).length, 0, resource);
    }
    assert.deepEqual(await runtime.delete('gone-gull'), { removed: [], left: [] });
    assert.equal(await runtime.exists('gone-gull'), false);
    assert.equal(await runtime.status('gone-gull'), undefined);
  });

  test('an object that cannot be deleted is reported with the permission it lacks; the rest goes', async () => {
    await make(runtime, spec('kept-kite'));
    const undo = cluster.controls.deny({ verb: 'delete', resource: 'persistentvolumeclaims' });
    try {
      const report = await runtime.delete('kept-kite');
      assert.equal(report.left.length, 1, JSON.stringify(report));
      assert.match(report.left[0] ?? '', /PersistentVolumeClaim kept-kite-storage: Not allowed to delete persistentvolumeclaims/);
      assert.equal(report.removed.length, 4);
    } finally {
      undo();
    }
    // Deleted again, or already collected by the owner-reference backstop (its ConfigMap is gone).
    assert.deepEqual((await runtime.delete('kept-kite')).left, []);
    assert.equal(await runtime.exists('kept-kite'), false);
  });

  test('partial leftovers of an interrupted create are listed as Incomplete and deleted', async () => {
    const s = spec('half-hare');
    await runtime.claim(s);
    const m = sparkManifests(s, DEFAULT_MANIFEST_OPTIONS);
    cluster.seed([m.pvc]);
    const listed = (await runtime.list()).find((x) => x.name === 'half-hare');
    assert.equal(listed?.state, 'Incomplete');
    assert.match(listed?.reason ?? '', /Deployment/);
    const report = await runtime.delete('half-hare');
    assert.deepEqual([...report.removed].sort(), ['ConfigMap half-hare-config', 'PersistentVolumeClaim half-hare-storage']);
    assert.equal(await runtime.exists('half-hare'), false);
  });

  test('a Go-CLI spark is listed as legacy, shown, and deleted', async () => {
    cluster.seed(goSparkObjects('old-owl'));
    await cluster.waitFor(() => cluster.list('pods', 'spark').some((p) => p.metadata.labels?.['spark-name'] === 'old-owl' && (p as Loose).status?.phase === 'Running'), { description: 'the Go spark running' });
    const listed = (await runtime.list()).find((x) => x.name === 'old-owl');
    assert.equal(listed?.legacy, true);
    assert.equal(listed?.state, 'Running');
    const status = await runtime.status('old-owl');
    assert.equal(status?.state, 'Running');
    const report = await runtime.delete('old-owl');
    assert.deepEqual([...report.removed].sort(), ['Deployment old-owl', 'PersistentVolumeClaim old-owl-storage', 'Service old-owl-ssh']);
    assert.equal(await runtime.exists('old-owl'), false);
  });

  test("a Service held by the Tailscale operator's finalizer is reported with the fix, not waited on forever", async () => {
    cluster.controls.setTailscaleFinalizer({ enabled: true, removeAfterMs: null });
    try {
      const quick = openKubernetesRuntime(settings(kubeconfig), { deleteWaitMs: 300 });
      await make(quick, spec('held-hen'));
      await cluster.waitFor(() => cluster.get('services', 'spark', 'held-hen-ssh')?.metadata.finalizers?.length, { description: 'the finalizer' });
      const report = await quick.delete('held-hen');
      assert.equal(report.left.length, 1, JSON.stringify(report));
      assert.match(report.left[0] ?? '', /Service held-hen-ssh/);
      assert.match(report.left[0] ?? '', /tailscale\.com\/finalizer/);
      assert.match(report.left[0] ?? '', /kubectl -n spark patch services held-hen-ssh --type=merge -p '\{"metadata":\{"finalizers":null\}\}'/);
      assert.ok(report.removed.includes('Deployment held-hen'));
    } finally {
      cluster.controls.setTailscaleFinalizer({ enabled: false });
    }
  });

  test('a missing permission is named: verb and resource, with the RBAC fix; doctor lists it', async () => {
    const undo = cluster.controls.deny({ verb: 'patch', resource: 'deployments', group: 'apps' });
    try {
      const s = spec('denied-doe');
      await runtime.claim(s);
      const error = await rejection(runtime.create(s));
      assert.equal(error.code, 'KUBE_FORBIDDEN');
      assert.match(error.message, /patch deployments\.apps/);
      assert.match(error.hint ?? '', /deploy\/rbac\.yaml/);
      const checks = await runtime.checks();
      const permissions = checks.find((c) => c.id === 'kube-permissions');
      assert.equal(permissions?.status, 'fail');
      assert.match(permissions?.detail ?? '', /patch deployments\.apps/);
    } finally {
      undo();
    }
  });

  test('checks: reachable, namespace, permissions, the spark-cli-config Secret and the Tailscale operator', async () => {
    const checks = Object.fromEntries((await runtime.checks()).map((c) => [c.id, c]));
    assert.equal(checks['kube-context']?.status, 'ok');
    assert.match(checks['kube-context']?.detail ?? '', /context fake/);
    assert.equal(checks['kube-namespace']?.status, 'ok');
    assert.equal(checks['kube-permissions']?.status, 'ok');
    assert.ok(checks['kube-cli-config'], 'secret check present');
    assert.ok(checks['tailscale-operator'] && checks['tailscale-operator'].status !== 'fail');
    const other = openKubernetesRuntime(settings(kubeconfig, { SPARK_NAMESPACE: 'nowhere' }));
    const missing = (await other.checks()).find((c) => c.id === 'kube-namespace');
    assert.equal(missing?.status, 'fail');
    assert.match(missing?.fix ?? '', /deploy\/namespace\.yaml/);
    const error = await rejection(other.claim(spec('homeless')));
    assert.equal(error.code, 'NAMESPACE_MISSING');
    assert.match(error.hint ?? '', /kubectl apply -f deploy\/namespace\.yaml/);
  });

  test('listing 1,000 sparks makes the same API calls as listing one, but for the pages', async () => {
    const big = await startFakeCluster();
    try {
      const config = big.writeKubeconfig(join(dir, 'big-kubeconfig'));
      const r = openKubernetesRuntime(settings(config));
      // Sleeping sparks (replicas 0): the fake's controller then has no pods to run; the calls are the same.
      const objects = (name: string) => {
        const m = sparkManifests(spec(name), DEFAULT_MANIFEST_OPTIONS);
        return [m.configMap, m.secret, m.pvc, m.service, { ...m.deployment, spec: { ...m.deployment.spec, replicas: 0 } }];
      };
      big.seed(objects('spark-0'));
      big.counters.reset();
      assert.equal((await r.list()).length, 1);
      const one = big.counters.snapshot();
      big.seed(Array.from({ length: 999 }, (_, i) => objects(`spark-${i + 1}`)).flat());
      big.counters.reset();
      const from = big.requests.length;
      const listed = await r.list();
      assert.equal(listed.length, 1000);
      // Megabytes of JSON at this size: asked for gzipped, as kubectl does.
      assert.ok(big.requests.slice(from).some((q) => q.key === 'list deployments' && q.gzipped), 'the deployments list came gzipped');
      assert.ok(listed.every((x) => x.state === 'Sleeping'), 'every spark listed, none incomplete');
      // One LIST per kind, paged (limit/continue): as many requests per kind as pages, nothing per spark.
      const pages = Math.ceil(1000 / LIST_PAGE);
      assert.ok(pages > 1, 'this size spans several pages');
      assert.deepEqual(big.counters.snapshot(), Object.fromEntries(Object.entries(one).map(([k, n]) => [k, n * pages])));
      // One LIST per kind; no pods, since no spark needs explaining (see the next test).
      assert.deepEqual(Object.keys(one).sort(), ['list configmaps', 'list deployments', 'list persistentvolumeclaims', 'list services']);
      assert.ok(Object.values(one).every((n) => n === 1), 'one request per kind at one spark');
    } finally {
      await big.stop();
    }
  });

  test('pods are listed only for sparks whose Deployment is not ready: by name, in one request, or all when many', async () => {
    const slow = await startFakeCluster();
    try {
      const r = openKubernetesRuntime(settings(slow.writeKubeconfig(join(dir, 'slow-kubeconfig'))));
      const objects = (name: string) => Object.values(sparkManifests(spec(name), DEFAULT_MANIFEST_OPTIONS));
      slow.seed(['ready-0', 'ready-1'].flatMap(objects));
      await slow.idle();
      slow.controls.setReadyDelay(600_000);
      slow.seed(['slow-0', 'slow-1'].flatMap(objects));
      slow.controls.failPods('broken-0', 'ImagePullBackOff');
      slow.seed(objects('broken-0'));
      await slow.idle();
      slow.counters.reset();
      const start = slow.requests.length;
      const listed = new Map((await r.list()).map((x) => [x.name, x]));
      assert.equal(listed.get('ready-0')?.state, 'Running');
      assert.equal(listed.get('ready-1')?.state, 'Running');
      assert.equal(listed.get('slow-0')?.state, 'Starting');
      assert.ok(listed.get('slow-0')?.reason, 'a starting spark says what it waits for');
      assert.equal(listed.get('broken-0')?.state, 'Failed');
      assert.match(listed.get('broken-0')?.reason ?? '', /ImagePullBackOff/);
      assert.equal(slow.counters.snapshot()['list pods'], 1);
      const podQuery = slow.requests.slice(start).find((q) => q.key === 'list pods')?.query ?? '';
      assert.equal(new URLSearchParams(podQuery).get('labelSelector'), 'app=spark,spark-name in (broken-0,slow-0,slow-1)');

      // Past 100 names the selector would outgrow what proxies accept: all sparks' pods, still one request.
      slow.seed(Array.from({ length: 101 }, (_, i) => `many-${i}`).flatMap(objects));
      await slow.idle();
      slow.counters.reset();
      const many = await r.list();
      assert.equal(many.filter((x) => x.name.startsWith('many-') && x.state === 'Starting').length, 101);
      assert.equal(slow.counters.snapshot()['list pods'], 1);
    } finally {
      await slow.stop();
    }
  });

  test('shell runs the SSH program (SPARK_SSH) to user@spark-<name>, -t only without a command', async () => {
    const argv = async (r: KubernetesRuntime, name: string, command: string[]) => {
      const { program, args } = await r.shell(name, command);
      return [program, ...args];
    };
    assert.deepEqual(await argv(runtime, 'brave-dolphin', []), ['ssh', '-t', '--', 'user@spark-brave-dolphin']);
    assert.deepEqual(await argv(runtime, 'brave-dolphin', ['ls', '-la']), ['ssh', '--', 'user@spark-brave-dolphin', 'ls', '-la']);
    const custom = openKubernetesRuntime(settings(kubeconfig, { SPARK_SSH: 'tailscale ssh' }));
    assert.deepEqual(await argv(custom, 'x', ['id']), ['tailscale', 'ssh', '--', 'user@spark-x', 'id']);
    assert.match((await custom.shell('x', [])).connectionHint ?? '', /tailscale ssh could not reach user@spark-x/);
  });

  test('the spark-cli-config Secret: read, written (merge), and a spark URL rewrite restarts that spark', async () => {
    const cfg = { KUBECONFIG: kubeconfig, SPARK_NAMESPACE: 'spark' };
    assert.equal(await readCliConfigSecret(cfg), undefined, 'no Secret yet');
    await writeCliConfigSecretValues(cfg, { POSTGRES_PASSWORD: 'first-Pa55word', POSTGRES_HOST: 'db.example' });
    await writeCliConfigSecretValues(cfg, { POSTGRES_PASSWORD: 'second-Pa55word' });
    assert.deepEqual(await readCliConfigSecret(cfg), { POSTGRES_PASSWORD: 'second-Pa55word', POSTGRES_HOST: 'db.example' });

    await make(runtime, spec('rotated-ray'));
    await make(runtime, spec('own-role', { isolation: 'role', databaseUrl: 'postgresql://spark_own_role:x-Pa55word@db.example:5432/own-role' }));
    const secrets = await openSparkSecrets(cfg);
    const listed = await secrets.list();
    assert.equal(listed.find((c) => c.name === 'rotated-ray')?.databaseUrl, spec('rotated-ray').databaseUrl);
    assert.equal(listed.find((c) => c.name === 'own-role')?.databaseUrl, 'postgresql://spark_own_role:x-Pa55word@db.example:5432/own-role');
    const rewritten = new URL(spec('rotated-ray').databaseUrl);
    rewritten.password = encodeURIComponent('n3w/P@ss');
    await secrets.rewrite('rotated-ray', rewritten.toString());
    const after = cluster.get('secrets', 'spark', 'rotated-ray-secret') as KubeObject & { data: Record<string, string> };
    const url = new URL(Buffer.from(after.data.DATABASE_URL ?? '', 'base64').toString());
    assert.equal(decodeURIComponent(url.password), 'n3w/P@ss');
    assert.equal(url.pathname, '/rotated-ray');
    const deployment = cluster.get('deployments', 'spark', 'rotated-ray') as Loose;
    assert.ok(deployment.spec.template.metadata.annotations['spark.dev/restartedAt']);
    assert.equal(cluster.get('deployments', 'spark', 'own-role')?.metadata.annotations?.['spark.dev/restartedAt'], undefined);
  });
});

describe('the adapter over TLS, with the cluster CA from the kubeconfig', () => {
  test('create, list, status and delete work; a certificate from another CA is refused with the fix', async () => {
    const tls = selfSigned('fake-kube');
    const secure = await startFakeCluster({ tls });
    try {
      const r = openKubernetesRuntime(settings(secure.writeKubeconfig(join(dir, 'tls-kubeconfig'))), { deleteWaitMs: 5_000 });
      await make(r, spec('tls-tern'));
      assert.deepEqual((await r.list()).map((x) => [x.name, x.state]), [['tls-tern', 'Running']]);
      assert.equal((await r.status('tls-tern'))?.state, 'Running');
      await r.delete('tls-tern');
      assert.equal(await r.exists('tls-tern'), false);

      const other = await startFakeCluster({ tls: selfSigned('another-ca') });
      const config = other.writeKubeconfig(join(dir, 'wrong-ca-kubeconfig'));
      await other.stop();
      // The same context, now pointed at the first server: its certificate is not from this CA.
      writeFileSync(config, readFileSync(config, 'utf8').replace(other.url, secure.url));
      const error = await rejection(openKubernetesRuntime(settings(config)).list());
      assert.equal(error.code, 'KUBE_TLS');
      assert.match(error.hint ?? '', /certificate-authority/);
    } finally {
      await secure.stop();
    }
  });
});

describe('the adapter without a (working) cluster', () => {
  test('readCliConfigSecret is undefined without a kubeconfig, and quickly when the server is down', async () => {
    assert.equal(await readCliConfigSecret({ KUBECONFIG: join(dir, 'does-not-exist') }), undefined);
    const port = await closedPort();
    const config = join(dir, 'down-kubeconfig');
    const fake = await startFakeCluster();
    fake.writeKubeconfig(config);
    await fake.stop();
    const started = Date.now();
    assert.equal(await readCliConfigSecret({ KUBECONFIG: config }, { timeoutMs: 1000 }), undefined);
    assert.ok(Date.now() - started < 5000);
    void port;
  });

  test('connection refused names the context and the server, and what to check', async () => {
    const fake = await startFakeCluster();
    const config = fake.writeKubeconfig(join(dir, 'refused-kubeconfig'), { context: 'homelab', token: 'tok-abcdef0123456789-secret' });
    await fake.stop();
    const r = openKubernetesRuntime(settings(config));
    const error = await rejection(r.list());
    assert.equal(error.code, 'KUBE_UNREACHABLE');
    assert.match(error.message, /context homelab/);
    assert.match(error.message, /connection refused/);
    assert.match(error.hint ?? '', /kubectl --context homelab cluster-info/);
    assert.ok(!`${error.message}${error.hint}`.includes('tok-abcdef0123456789-secret'));
  });

  test('expired credentials (401) say so, and the token never appears in any output', async () => {
    const token = 'tok-expired-0123456789abcdef';
    const fake = await startFakeCluster({ token: 'the-right-token-0123456789' });
    try {
      const config = fake.writeKubeconfig(join(dir, 'expired-kubeconfig'), { token });
      const r = openKubernetesRuntime(settings(config));
      const error = await rejection(r.list());
      assert.equal(error.code, 'KUBE_UNAUTHORIZED');
      assert.match(error.hint ?? '', /kubectl config view/);
      const everything = `${error.message}\n${error.hint}\n${error.stack}\n${String((error.cause as Error | undefined)?.message)}`;
      assert.equal(redact(everything).includes(token), false, 'the token is registered for redaction');
      assert.equal(redact(`Bearer ${token}`), 'Bearer ***');
      const checks = await r.checks();
      assert.equal(checks[0]?.status, 'fail');
      assert.ok(!JSON.stringify(checks).includes(token));
    } finally {
      await fake.stop();
    }
  });

  test('an unknown --context and a missing kubeconfig are clear errors', () => {
    const fake = join(dir, 'ctx-kubeconfig');
    return startFakeCluster().then(async (c) => {
      c.writeKubeconfig(fake);
      await c.stop();
      assert.throws(() => openKubernetesRuntime(settings(fake, { SPARK_CONTEXT: 'nope' })), (e: SparkError) => e.code === 'KUBE_CONTEXT_MISSING' && /kubectl config get-contexts/.test(e.hint ?? ''));
      assert.throws(
        () => openKubernetesRuntime(settings(join(dir, 'nothing-here')), { env: { HOME: dir } }),
        (e: SparkError) => e.code === 'NO_CLUSTER' && /spark create --runtime local/.test(e.hint ?? ''),
      );
    });
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
