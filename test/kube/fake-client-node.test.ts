/**
 * @kubernetes/client-node (the client spark uses) against the fake: typed list/create/delete,
 * server-side apply through KubernetesObjectApi and through patchNamespacedX with the apply content
 * type, Watch, an informer, access reviews and errors as ApiException with a Status body.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { goSparkObjects, startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';

let cluster: FakeCluster;
let kc: k8s.KubeConfig;
before(async () => {
  cluster = await startFakeCluster();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'fake-kube-client-')), 'kubeconfig')));
});
after(async () => {
  await cluster.stop();
});

/** Per-call options that set the Content-Type of a PATCH (what spark's KubeClient.call does). */
function withContentType(contentType: string): k8s.ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setHeaderParam('Content-Type', contentType);
          return new k8s.Observable(Promise.resolve(context));
        },
        post: (response) => new k8s.Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

test('the kubeconfig points at the fake: version, API groups, namespace spark', async () => {
  assert.equal(kc.getCurrentCluster()?.server, cluster.url);
  assert.equal(kc.getContextObject(kc.currentContext)?.namespace, 'spark');
  const version = await kc.makeApiClient(k8s.VersionApi).getCode();
  assert.equal(version.major, '1');
  const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
  assert.ok(groups.groups.some((g) => g.name === 'apps'));
  const ns = await kc.makeApiClient(k8s.CoreV1Api).readNamespace({ name: 'spark' });
  assert.equal(ns.status?.phase, 'Active');
});

test('typed create, list with a label selector, read, delete; a 404 is an ApiException with a Status body', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const [deployment, , pvc] = goSparkObjects('typed-toad');
  await core.createNamespacedPersistentVolumeClaim({ namespace: 'spark', body: pvc as k8s.V1PersistentVolumeClaim });
  const created = await apps.createNamespacedDeployment({ namespace: 'spark', body: deployment as k8s.V1Deployment });
  assert.equal(created.spec?.replicas, 1);
  assert.ok(created.metadata?.uid);
  const list = await apps.listNamespacedDeployment({ namespace: 'spark', labelSelector: 'app=spark,spark-name=typed-toad' });
  assert.deepEqual(list.items.map((d) => d.metadata?.name), ['typed-toad']);
  assert.ok(list.metadata?.resourceVersion);
  await cluster.waitFor(() => cluster.list('pods', 'spark').some((p) => p.metadata.labels?.['spark-name'] === 'typed-toad' && (p.status as { phase?: string }).phase === 'Running'));
  const pods = await core.listNamespacedPod({ namespace: 'spark', labelSelector: 'spark-name=typed-toad' });
  assert.equal(pods.items[0]?.status?.phase, 'Running');
  assert.equal(pods.items[0]?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  await apps.deleteNamespacedDeployment({ name: 'typed-toad', namespace: 'spark', propagationPolicy: 'Background' });
  assert.equal(cluster.get('deployments', 'spark', 'typed-toad'), undefined);
  assert.equal(cluster.list('pods', 'spark').filter((p) => p.metadata.labels?.['spark-name'] === 'typed-toad').length, 0);

  const error = await apps.readNamespacedDeployment({ name: 'typed-toad', namespace: 'spark' }).catch((e: unknown) => e);
  assert.ok(error instanceof k8s.ApiException, String(error));
  assert.equal(error.code, 404);
  const body = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as { reason: string; kind: string };
  assert.equal(body.kind, 'Status');
  assert.equal(body.reason, 'NotFound');
});

test('server-side apply with KubernetesObjectApi: creates, re-applies, changes', async () => {
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  const [deployment, service, pvc] = goSparkObjects('applied-ape') as k8s.KubernetesObject[];
  for (const o of [deployment, service, pvc]) {
    const applied = await client.patch(o as k8s.KubernetesObject, undefined, undefined, 'spark', true, k8s.PatchStrategy.ServerSideApply);
    assert.ok(applied.metadata?.uid);
  }
  const before = cluster.get('deployments', 'spark', 'applied-ape');
  await client.patch(deployment as k8s.KubernetesObject, undefined, undefined, 'spark', true, k8s.PatchStrategy.ServerSideApply);
  assert.equal(cluster.get('deployments', 'spark', 'applied-ape')?.metadata.resourceVersion !== undefined, true);
  const spec = (deployment as { spec: { replicas: number } }).spec;
  const changed = await client.patch({ ...deployment, spec: { ...spec, replicas: 0 } } as k8s.KubernetesObject, undefined, undefined, 'spark', true, k8s.PatchStrategy.ServerSideApply);
  assert.equal((changed as k8s.V1Deployment).spec?.replicas, 0);
  assert.equal((changed as k8s.V1Deployment).metadata?.generation, (before?.metadata.generation ?? 0) + 1);
  const read = await client.read({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'applied-ape-ssh', namespace: 'spark' } });
  assert.equal((read as k8s.V1Service).spec?.loadBalancerClass, 'tailscale');
  const list = await client.list('v1', 'PersistentVolumeClaim', 'spark', undefined, undefined, undefined, undefined, 'spark-name=applied-ape');
  assert.equal(list.items.length, 1);
  await client.delete({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'applied-ape', namespace: 'spark' } });
  assert.equal(cluster.get('deployments', 'spark', 'applied-ape'), undefined);
});

test('server-side apply with patchNamespacedConfigMap and the apply content type', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-cm', namespace: 'spark', labels: { app: 'spark' } }, data: { GIT_REPO: 'https://example.com/r.git' } };
  const created = await core.patchNamespacedConfigMap({ name: 'ssa-cm', namespace: 'spark', body, fieldManager: 'spark', force: true }, withContentType(k8s.PatchStrategy.ServerSideApply));
  assert.equal(created.data?.GIT_REPO, 'https://example.com/r.git');
  assert.equal(created.metadata?.managedFields?.[0]?.manager, 'spark');
  const again = await core.patchNamespacedConfigMap({ name: 'ssa-cm', namespace: 'spark', body: { ...body, data: { OTHER: 'x' } }, fieldManager: 'spark', force: true }, withContentType(k8s.PatchStrategy.ServerSideApply));
  assert.deepEqual(again.data, { OTHER: 'x' });
  const merged = await core.patchNamespacedConfigMap({ name: 'ssa-cm', namespace: 'spark', body: { data: { MORE: 'y' } } }, withContentType(k8s.PatchStrategy.MergePatch));
  assert.deepEqual(merged.data, { OTHER: 'x', MORE: 'y' });
});

test('Watch: events arrive for objects created after the list', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const list = await core.listNamespacedConfigMap({ namespace: 'spark', labelSelector: 'watched=yes' });
  const events: { phase: string; name?: string }[] = [];
  let notify: () => void = () => {};
  const watch = new k8s.Watch(kc);
  let ended: unknown = 'open';
  const controller = await watch.watch(
    '/api/v1/namespaces/spark/configmaps',
    { labelSelector: 'watched=yes', resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
    (phase, obj: k8s.V1ConfigMap) => {
      events.push({ phase, name: obj.metadata?.name });
      notify();
    },
    (err) => {
      ended = err;
    },
  );
  try {
    await core.createNamespacedConfigMap({ namespace: 'spark', body: { metadata: { name: 'watched-1', labels: { watched: 'yes' } } } });
    await core.deleteNamespacedConfigMap({ name: 'watched-1', namespace: 'spark' });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`events so far: ${JSON.stringify(events)}`)), 5000);
      notify = () => {
        if (events.length >= 2) {
          clearTimeout(timer);
          resolve();
        }
      };
      notify();
    });
    assert.deepEqual(events, [
      { phase: 'ADDED', name: 'watched-1' },
      { phase: 'DELETED', name: 'watched-1' },
    ]);
    assert.equal(ended, 'open');
  } finally {
    controller.abort();
  }
});

test('an informer (list + watch) sees pods become Ready', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const informer = k8s.makeInformer(kc, '/api/v1/namespaces/spark/pods', () => core.listNamespacedPod({ namespace: 'spark', labelSelector: 'spark-name=informed-ibis' }), 'spark-name=informed-ibis');
  const ready = new Promise<k8s.V1Pod>((resolve) => {
    const check = (pod: k8s.V1Pod): void => {
      if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) resolve(pod);
    };
    informer.on('add', check);
    informer.on('update', check);
  });
  await informer.start();
  try {
    cluster.seed(goSparkObjects('informed-ibis'));
    let timer: NodeJS.Timeout | undefined;
    const pod = await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no ready pod seen by the informer within 5 s')), 5000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.match(pod.metadata?.name ?? '', /^informed-ibis-/);
  } finally {
    await informer.stop();
  }
});

test('SelfSubjectAccessReview through the typed client, allowed and denied', async () => {
  const auth = kc.makeApiClient(k8s.AuthorizationV1Api);
  const ask = (verb: string, resource: string, group = '') =>
    auth.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace: 'spark', verb, group, resource } } } });
  assert.equal((await ask('create', 'deployments', 'apps')).status?.allowed, true);
  const undo = cluster.controls.deny({ verb: 'create', resource: 'secrets' });
  try {
    assert.equal((await ask('create', 'secrets')).status?.allowed, false);
    const error = await kc
      .makeApiClient(k8s.CoreV1Api)
      .createNamespacedSecret({ namespace: 'spark', body: { metadata: { name: 'denied' } } })
      .catch((e: unknown) => e);
    assert.ok(error instanceof k8s.ApiException);
    assert.equal(error.code, 403);
  } finally {
    undo();
  }
});
