/**
 * The fake API server's protocol, over plain HTTP: discovery, CRUD with resourceVersions, selectors,
 * the patch flavours, Status errors, watch streams, garbage collection, finalizers, counters, faults
 * and access reviews.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';
import { http, WatchReader } from '../support/fake-kube/testing.js';

let cluster: FakeCluster;
before(async () => {
  cluster = await startFakeCluster();
});
after(async () => {
  await cluster.stop();
});

const NS = '/api/v1/namespaces/spark';
const APPS = '/apis/apps/v1/namespaces/spark';
const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = { a: '1' }) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});
const deployment = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: 'proto', 'spark-name': name }, ...extra },
  spec: {
    selector: { matchLabels: { app: 'proto', 'spark-name': name } },
    template: {
      metadata: { labels: { app: 'proto', 'spark-name': name } },
      spec: { containers: [{ name: 'main', image: 'debian:bookworm', env: [{ name: 'A', value: '1' }] }] },
    },
  },
});

describe('discovery', () => {
  test('/version, /api, /apis and the resource lists, all application/json', async () => {
    const version = await http(cluster.url, 'GET', '/version');
    assert.equal(version.body.major, '1');
    assert.equal(version.headers['content-type'], 'application/json');
    const api = await http(cluster.url, 'GET', '/api');
    assert.deepEqual(api.body.versions, ['v1']);
    const apis = await http(cluster.url, 'GET', '/apis');
    assert.deepEqual(
      apis.body.groups.map((g: { name: string }) => g.name),
      ['apps', 'authorization.k8s.io'],
    );
    const apps = await http(cluster.url, 'GET', '/apis/apps/v1');
    const scale = apps.body.resources.find((r: { name: string }) => r.name === 'deployments/scale');
    assert.deepEqual([scale.group, scale.version, scale.kind], ['autoscaling', 'v1', 'Scale']);
    const deploy = apps.body.resources.find((r: { name: string }) => r.name === 'deployments');
    assert.ok(deploy.verbs.includes('watch') && deploy.shortNames.includes('deploy'));
    const core = await http(cluster.url, 'GET', '/api/v1');
    const names = core.body.resources.map((r: { name: string }) => r.name);
    for (const r of ['namespaces', 'pods', 'services', 'persistentvolumeclaims', 'configmaps', 'secrets', 'events']) assert.ok(names.includes(r), r);
  });

  test('no /openapi/v2, a minimal /openapi/v3 that declares server-side field validation', async () => {
    const v2 = await http(cluster.url, 'GET', '/openapi/v2');
    assert.equal(v2.status, 404);
    assert.equal(v2.body.kind, 'Status');
    const root = await http(cluster.url, 'GET', '/openapi/v3');
    const url = root.body.paths['apis/apps/v1'].serverRelativeURL as string;
    const doc = await http(cluster.url, 'GET', url);
    const patch = doc.body.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.ok(patch.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
  });

  test('unknown paths are a NotFound Status', async () => {
    const r = await http(cluster.url, 'GET', '/apis/batch/v1/namespaces/spark/jobs');
    assert.equal(r.status, 404);
    assert.equal(r.body.reason, 'NotFound');
  });
});

describe('CRUD', () => {
  test('create fills in what clients dereference; create again is 409 AlreadyExists', async () => {
    const created = await http(cluster.url, 'POST', `${APPS}/deployments`, deployment('crud-a'));
    assert.equal(created.status, 201);
    const m = created.body.metadata;
    assert.ok(m.uid && m.creationTimestamp && m.resourceVersion);
    assert.equal(m.namespace, 'spark');
    assert.equal(m.generation, 1);
    assert.equal(created.body.spec.replicas, 1);
    assert.equal(created.body.spec.strategy.type, 'RollingUpdate');
    assert.equal(created.body.spec.template.spec.restartPolicy, 'Always');
    assert.equal(created.body.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    const again = await http(cluster.url, 'POST', `${APPS}/deployments`, deployment('crud-a'));
    assert.equal(again.status, 409);
    assert.deepEqual(
      { kind: again.body.kind, apiVersion: again.body.apiVersion, status: again.body.status, reason: again.body.reason, code: again.body.code },
      { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'AlreadyExists', code: 409 },
    );
    assert.equal(again.body.message, 'deployments.apps "crud-a" already exists');
    assert.deepEqual(again.body.details, { name: 'crud-a', group: 'apps', kind: 'deployments' });
  });

  test('get of a missing object is 404 NotFound with details', async () => {
    const r = await http(cluster.url, 'GET', `${NS}/services/nope`);
    assert.equal(r.status, 404);
    assert.equal(r.body.message, 'services "nope" not found');
    assert.deepEqual(r.body.details, { name: 'nope', kind: 'services' });
    assert.equal(r.headers['content-type'], 'application/json');
  });

  test('a missing name is 422 Invalid; a missing namespace is 404; a wrong kind is 400', async () => {
    const noName = await http(cluster.url, 'POST', `${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} });
    assert.equal(noName.status, 422);
    assert.equal(noName.body.reason, 'Invalid');
    assert.match(noName.body.message, /metadata\.name: Required value/);
    const noNs = await http(cluster.url, 'POST', '/api/v1/namespaces/nowhere/configmaps', cm('x'));
    assert.equal(noNs.status, 404);
    assert.equal(noNs.body.message, 'namespaces "nowhere" not found');
    const wrongKind = await http(cluster.url, 'POST', `${NS}/configmaps`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
    assert.equal(wrongKind.status, 400);
    assert.equal(wrongKind.body.reason, 'BadRequest');
    const badSelector = await http(cluster.url, 'POST', `${APPS}/deployments`, {
      ...deployment('crud-bad'),
      spec: { ...deployment('crud-bad').spec, selector: { matchLabels: { other: 'x' } } },
    });
    assert.equal(badSelector.status, 422);
  });

  test('generateName makes a name', async () => {
    const r = await http(cluster.url, 'POST', `${NS}/configmaps`, { metadata: { generateName: 'gen-' }, data: {} });
    assert.equal(r.status, 201);
    assert.match(r.body.metadata.name, /^gen-[a-z0-9]{5}$/);
  });

  test('PUT checks the resourceVersion: a stale one is 409 Conflict', async () => {
    const created = (await http(cluster.url, 'POST', `${NS}/configmaps`, cm('crud-put'))).body;
    const first = await http(cluster.url, 'PUT', `${NS}/configmaps/crud-put`, { ...created, data: { a: '2' } });
    assert.equal(first.status, 200);
    assert.ok(Number(first.body.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    const stale = await http(cluster.url, 'PUT', `${NS}/configmaps/crud-put`, { ...created, data: { a: '3' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.match(stale.body.message, /the object has been modified/);
    const missing = await http(cluster.url, 'PUT', `${NS}/configmaps/crud-none`, cm('crud-none'));
    assert.equal(missing.status, 404);
  });

  test('an unchanged write keeps the resourceVersion; generation follows spec changes only', async () => {
    const cmap = (await http(cluster.url, 'POST', `${NS}/configmaps`, cm('crud-same'))).body;
    const same = await http(cluster.url, 'PUT', `${NS}/configmaps/crud-same`, cmap);
    assert.equal(same.body.metadata.resourceVersion, cmap.metadata.resourceVersion);
    await http(cluster.url, 'POST', `${APPS}/deployments`, deployment('crud-gen'));
    const labelled = await http(cluster.url, 'PATCH', `${APPS}/deployments/crud-gen`, { metadata: { labels: { extra: 'yes' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(labelled.body.metadata.generation, 1);
    const scaled = await http(cluster.url, 'PATCH', `${APPS}/deployments/crud-gen`, { spec: { replicas: 2 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(scaled.body.metadata.generation, 2);
  });

  test('a write to the main resource keeps status; /status writes change only status', async () => {
    await http(cluster.url, 'POST', `${NS}/services`, { metadata: { name: 'crud-status' }, spec: { ports: [{ port: 80 }] } });
    const st = await http(cluster.url, 'PATCH', `${NS}/services/crud-status/status`, { status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } }, spec: { ports: [{ port: 81 }] } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(st.status, 200);
    assert.equal(st.body.status.loadBalancer.ingress[0].ip, '1.2.3.4');
    assert.equal(st.body.spec.ports[0].port, 80);
    const main = await http(cluster.url, 'PATCH', `${NS}/services/crud-status`, { status: { loadBalancer: {} }, metadata: { labels: { x: 'y' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(main.body.status.loadBalancer.ingress[0].ip, '1.2.3.4');
    assert.equal(main.body.spec.clusterIP, st.body.spec.clusterIP);
  });

  test('secrets: stringData is stored base64 in data; list items have no kind', async () => {
    const r = await http(cluster.url, 'POST', `${NS}/secrets`, { metadata: { name: 'crud-secret', labels: { t: 'secret' } }, stringData: { K: 'välue' } });
    assert.equal(r.body.data.K, Buffer.from('välue').toString('base64'));
    assert.equal(r.body.type, 'Opaque');
    assert.equal(r.body.stringData, undefined);
    const list = await http(cluster.url, 'GET', `${NS}/secrets?labelSelector=t%3Dsecret`);
    assert.equal(list.body.kind, 'SecretList');
    assert.equal(list.body.items.length, 1);
    assert.equal(list.body.items[0].kind, undefined);
  });

  test('deletecollection deletes what the selector selects', async () => {
    for (const n of ['dc-1', 'dc-2', 'dc-3']) await http(cluster.url, 'POST', `${NS}/configmaps`, cm(n, { dc: n === 'dc-3' ? 'keep' : 'go' }));
    const r = await http(cluster.url, 'DELETE', `${NS}/configmaps?labelSelector=dc%3Dgo`);
    assert.equal(r.status, 200);
    assert.equal(r.body.items.length, 2);
    const left = await http(cluster.url, 'GET', `${NS}/configmaps?labelSelector=dc`);
    assert.deepEqual(left.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['dc-3']);
  });

  test('dryRun=All validates without storing', async () => {
    const r = await http(cluster.url, 'POST', `${NS}/configmaps?dryRun=All`, cm('dry-run'));
    assert.equal(r.status, 201);
    assert.equal((await http(cluster.url, 'GET', `${NS}/configmaps/dry-run`)).status, 404);
  });
});

describe('selectors', () => {
  before(async () => {
    const objs = [
      cm('sel-1', { app: 'spark', 'spark-name': 'one', tier: 'a' }),
      cm('sel-2', { app: 'spark', 'spark-name': 'two', tier: 'b' }),
      cm('sel-3', { app: 'other', tier: 'c' }),
      cm('sel-4', {}),
    ];
    for (const o of objs) await http(cluster.url, 'POST', `${NS}/configmaps`, o);
  });
  const names = async (query: string): Promise<string[]> => {
    const r = await http(cluster.url, 'GET', `${NS}/configmaps?${query}`);
    assert.equal(r.status, 200, r.text);
    return r.body.items.map((i: { metadata: { name: string } }) => i.metadata.name).filter((n: string) => n.startsWith('sel-'));
  };
  const ls = (s: string) => `labelSelector=${encodeURIComponent(s)}`;

  test('label selectors: =, ==, !=, in, notin, exists, !key, and combinations', async () => {
    assert.deepEqual(await names(ls('app=spark')), ['sel-1', 'sel-2']);
    const first = await http(cluster.url, 'GET', `${NS}/configmaps?${ls('app=spark')}&limit=1`);
    assert.deepEqual([first.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), first.body.metadata.remainingItemCount], [['sel-1'], 1]);
    assert.deepEqual(await names(`${ls('app=spark')}&limit=1&continue=${first.body.metadata.continue}`), ['sel-2'], 'the next page, after the selector');
    assert.deepEqual(await names(ls('app==spark,spark-name=two')), ['sel-2']);
    assert.deepEqual(await names(ls('app!=spark')), ['sel-3', 'sel-4']);
    assert.deepEqual(await names(ls('tier in (a, c)')), ['sel-1', 'sel-3']);
    assert.deepEqual(await names(ls('tier notin (a,c)')), ['sel-2', 'sel-4']);
    assert.deepEqual(await names(ls('spark-name')), ['sel-1', 'sel-2']);
    assert.deepEqual(await names(ls('!tier')), ['sel-4']);
    assert.deepEqual(await names(ls('app=spark,tier in (b,c),!missing')), ['sel-2']);
  });

  test('field selectors: metadata.name, metadata.namespace, !=; unsupported fields are 400', async () => {
    assert.deepEqual(await names('fieldSelector=metadata.name%3Dsel-2'), ['sel-2']);
    assert.deepEqual(await names(`fieldSelector=${encodeURIComponent('metadata.namespace=spark,metadata.name!=sel-1')}&${ls('app=spark')}`), ['sel-2']);
    const bad = await http(cluster.url, 'GET', `${NS}/configmaps?fieldSelector=spec.foo%3Dx`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'field label not supported: spec.foo');
    const badLabel = await http(cluster.url, 'GET', `${NS}/configmaps?${ls('a in (')}`);
    assert.equal(badLabel.status, 400);
  });

  test('events by involvedObject; pods by status.phase; cluster-wide pod list', async () => {
    await http(cluster.url, 'POST', `${NS}/events`, {
      metadata: { name: 'sel-ev' },
      involvedObject: { kind: 'Pod', name: 'sel-pod', namespace: 'spark' },
      reason: 'FailedScheduling',
      type: 'Warning',
      message: 'nope',
    });
    const r = await http(cluster.url, 'GET', `${NS}/events?fieldSelector=${encodeURIComponent('involvedObject.name=sel-pod,involvedObject.kind=Pod,type=Warning')}`);
    assert.deepEqual(r.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['sel-ev']);
    const all = await http(cluster.url, 'GET', '/api/v1/pods?fieldSelector=status.phase%3DRunning&limit=500');
    assert.equal(all.status, 200);
    assert.equal(all.body.kind, 'PodList');
  });
});

describe('patch', () => {
  const patch = (path: string, type: string, body: unknown, query = '') =>
    http(cluster.url, 'PATCH', `${path}${query}`, typeof body === 'string' ? body : JSON.stringify(body), { 'Content-Type': type });

  test('JSON patch, with a failing test op as 422', async () => {
    await http(cluster.url, 'POST', `${NS}/configmaps`, cm('patch-json'));
    const ok = await patch(`${NS}/configmaps/patch-json`, 'application/json-patch+json', [
      { op: 'test', path: '/data/a', value: '1' },
      { op: 'add', path: '/data/b', value: '2' },
      { op: 'remove', path: '/data/a' },
      { op: 'add', path: '/metadata/labels', value: { 'x~y/z': 'v' } },
    ]);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.data, { b: '2' });
    const failed = await patch(`${NS}/configmaps/patch-json`, 'application/json-patch+json', [{ op: 'test', path: '/data/b', value: 'nope' }]);
    assert.equal(failed.status, 422);
  });

  test('merge patch: null removes a key, lists are replaced', async () => {
    await http(cluster.url, 'POST', `${APPS}/deployments`, deployment('patch-merge'));
    const r = await patch(`${APPS}/deployments/patch-merge`, 'application/merge-patch+json', { spec: { template: { metadata: { labels: { 'spark-name': null } } } } });
    assert.equal(r.status, 422, 'template labels must keep matching the selector');
    const ok = await patch(`${APPS}/deployments/patch-merge`, 'application/merge-patch+json', {
      metadata: { labels: { extra: 'x' } },
      spec: { template: { spec: { containers: [{ name: 'other', image: 'busybox' }] } } },
    });
    assert.deepEqual(ok.body.spec.template.spec.containers.map((c: { name: string }) => c.name), ['other']);
    assert.equal(ok.body.metadata.labels.extra, 'x');
  });

  test('strategic merge: lists of named objects merge by name; $patch: delete removes one', async () => {
    await http(cluster.url, 'POST', `${APPS}/deployments`, deployment('patch-smp'));
    const r = await patch(`${APPS}/deployments/patch-smp`, 'application/strategic-merge-patch+json', {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'main' }, { name: 'sidecar' }],
            containers: [
              { name: 'main', env: [{ name: 'B', value: '2' }] },
              { name: 'sidecar', image: 'busybox' },
            ],
          },
        },
      },
    });
    assert.equal(r.status, 200, r.text);
    const containers = r.body.spec.template.spec.containers;
    assert.deepEqual(containers.map((c: { name: string }) => c.name), ['main', 'sidecar']);
    assert.equal(containers[0].image, 'debian:bookworm');
    assert.deepEqual(containers[0].env.map((e: { name: string }) => e.name), ['A', 'B']);
    const del = await patch(`${APPS}/deployments/patch-smp`, 'application/strategic-merge-patch+json', {
      spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } },
    });
    assert.deepEqual(del.body.spec.template.spec.containers.map((c: { name: string }) => c.name), ['main']);
  });

  test('server-side apply: YAML body, creates when absent (201), needs a fieldManager, drops fields it no longer applies', async () => {
    const yaml = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: patch-apply\n  labels:\n    app: spark\ndata:\n${data}`;
    const missingManager = await patch(`${NS}/configmaps/patch-apply`, 'application/apply-patch+yaml', yaml('  a: "1"\n'));
    assert.equal(missingManager.status, 422);
    const created = await patch(`${NS}/configmaps/patch-apply`, 'application/apply-patch+yaml', yaml('  a: "1"\n  b: "2"\n'), '?fieldManager=spark&force=true');
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.data, { a: '1', b: '2' });
    assert.equal(created.body.metadata.managedFields[0].manager, 'spark');
    assert.equal(created.body.metadata.managedFields[0].operation, 'Apply');
    // Someone else adds a key; spark re-applies without b: b goes, c (not spark's) stays.
    await patch(`${NS}/configmaps/patch-apply`, 'application/merge-patch+json', { data: { c: '3' } }, '?fieldManager=kubectl');
    const again = await patch(`${NS}/configmaps/patch-apply`, 'application/apply-patch+yaml', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'patch-apply' }, data: { a: '1' } }), '?fieldManager=spark');
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.data, { a: '1', c: '3' });
    const unchanged = await patch(`${NS}/configmaps/patch-apply`, 'application/apply-patch+yaml', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'patch-apply' }, data: { a: '1' } }), '?fieldManager=spark');
    assert.equal(unchanged.body.metadata.resourceVersion, again.body.metadata.resourceVersion, 'a no-op apply does not write');
  });

  test('a patch carrying a stale resourceVersion is 409; patching a missing object is 404', async () => {
    const created = (await http(cluster.url, 'POST', `${NS}/configmaps`, cm('patch-rv'))).body;
    await patch(`${NS}/configmaps/patch-rv`, 'application/merge-patch+json', { data: { a: '2' } });
    const stale = await patch(`${NS}/configmaps/patch-rv`, 'application/merge-patch+json', { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { a: '3' } });
    assert.equal(stale.status, 409);
    const missing = await patch(`${NS}/configmaps/patch-none`, 'application/merge-patch+json', { data: {} });
    assert.equal(missing.status, 404);
  });
});

describe('scale subresource', () => {
  test('GET, PUT and PATCH /scale', async () => {
    await http(cluster.url, 'POST', `${APPS}/deployments`, deployment('scale-a'));
    const got = await http(cluster.url, 'GET', `${APPS}/deployments/scale-a/scale`);
    assert.equal(got.body.kind, 'Scale');
    assert.equal(got.body.apiVersion, 'autoscaling/v1');
    assert.equal(got.body.spec.replicas, 1);
    assert.equal(got.body.status.selector, 'app=proto,spark-name=scale-a');
    // Unconditional (no resourceVersion): the controller writes the deployment's status meanwhile.
    const put = await http(cluster.url, 'PUT', `${APPS}/deployments/scale-a/scale`, { ...got.body, metadata: { name: 'scale-a' }, spec: { replicas: 3 } });
    assert.equal(put.body.spec.replicas, 3);
    const stale = await http(cluster.url, 'PUT', `${APPS}/deployments/scale-a/scale`, { ...got.body, spec: { replicas: 4 } });
    assert.equal(stale.status, 409);
    const patched = await http(cluster.url, 'PATCH', `${APPS}/deployments/scale-a/scale`, JSON.stringify({ spec: { replicas: 0 } }), { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(patched.body.spec.replicas, 0);
    assert.equal((cluster.get('deployments', 'spark', 'scale-a')?.spec as { replicas: number }).replicas, 0);
  });
});

describe('watch', () => {
  test('from a list resourceVersion: ADDED, MODIFIED, DELETED in order; selectors apply', async () => {
    const list = await http(cluster.url, 'GET', `${NS}/configmaps?labelSelector=w%3D1`);
    const w = new WatchReader(cluster.url, `${NS}/configmaps?watch=true&labelSelector=w%3D1&resourceVersion=${list.body.metadata.resourceVersion}`);
    try {
      await http(cluster.url, 'POST', `${NS}/configmaps`, cm('watch-other', { w: '2' }));
      await http(cluster.url, 'POST', `${NS}/configmaps`, cm('watch-a', { w: '1' }));
      await http(cluster.url, 'PATCH', `${NS}/configmaps/watch-a`, { data: { a: 'changed' } }, { 'Content-Type': 'application/merge-patch+json' });
      await http(cluster.url, 'DELETE', `${NS}/configmaps/watch-a`);
      assert.equal((await w.next()).type, 'ADDED');
      const modified = await w.next();
      assert.equal(modified.type, 'MODIFIED');
      assert.equal(modified.object.data.a, 'changed');
      const deleted = await w.next();
      assert.equal(deleted.type, 'DELETED');
      assert.equal(deleted.object.metadata.name, 'watch-a');
      assert.ok(w.events.every((e) => e.object.metadata.name === 'watch-a'));
      assert.equal(w.contentType, 'application/json');
    } finally {
      w.close();
    }
  });

  test('an object that stops matching the selector is DELETED for the watcher', async () => {
    await http(cluster.url, 'POST', `${NS}/configmaps`, cm('watch-relabel', { w: 'r' }));
    const w = new WatchReader(cluster.url, `${NS}/configmaps?watch=1&labelSelector=w%3Dr`);
    try {
      assert.equal((await w.next()).type, 'ADDED', 'without a resourceVersion, existing objects come first as ADDED');
      await http(cluster.url, 'PATCH', `${NS}/configmaps/watch-relabel`, { metadata: { labels: { w: 'gone' } } }, { 'Content-Type': 'application/merge-patch+json' });
      const e = await w.next();
      assert.equal(e.type, 'DELETED');
    } finally {
      w.close();
    }
  });

  test('replay from a past resourceVersion; too old is a 410 ERROR event', async () => {
    const first = (await http(cluster.url, 'POST', `${NS}/configmaps`, cm('watch-replay-1', { w: 'replay' }))).body;
    await http(cluster.url, 'POST', `${NS}/configmaps`, cm('watch-replay-2', { w: 'replay' }));
    const w = new WatchReader(cluster.url, `${NS}/configmaps?watch=true&labelSelector=w%3Dreplay&resourceVersion=${first.metadata.resourceVersion}`);
    try {
      const e = await w.next();
      assert.deepEqual([e.type, e.object.metadata.name], ['ADDED', 'watch-replay-2']);
    } finally {
      w.close();
    }
    const old = new WatchReader(cluster.url, `${NS}/configmaps?watch=true&resourceVersion=5`);
    const err = await old.next();
    assert.equal(err.type, 'ERROR');
    assert.equal(err.object.code, 410);
    assert.equal(err.object.reason, 'Expired');
    await old.end();
  });

  test('watch-list: sendInitialEvents gives ADDED events, then a BOOKMARK marking their end; without the required options it is 422', async () => {
    await http(cluster.url, 'POST', `${NS}/configmaps`, cm('watch-list', { w: 'list' }));
    const w = new WatchReader(cluster.url, `${NS}/configmaps?watch=true&labelSelector=w%3Dlist&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    try {
      const added = await w.next();
      assert.deepEqual([added.type, added.object.metadata.name], ['ADDED', 'watch-list']);
      const bookmark = await w.next();
      assert.equal(bookmark.type, 'BOOKMARK');
      assert.equal(bookmark.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
      assert.ok(Number(bookmark.object.metadata.resourceVersion) >= Number(added.object.metadata.resourceVersion));
    } finally {
      w.close();
    }
    const bad = await http(cluster.url, 'GET', `${NS}/configmaps?watch=true&sendInitialEvents=true`);
    assert.equal(bad.status, 422);
  });

  test('timeoutSeconds ends the stream; periodic bookmarks when allowed', async () => {
    const quick = await startFakeCluster({ bookmarkIntervalMs: 20 });
    try {
      const w = new WatchReader(quick.url, `${NS}/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${(await http(quick.url, 'GET', `${NS}/pods`)).body.metadata.resourceVersion}`);
      const b = await w.next((e) => e.type === 'BOOKMARK');
      assert.equal(b.object.kind, 'Pod');
      await w.end(5000);
    } finally {
      await quick.stop();
    }
  });

  test('watching one object by name (kubectl get -w NAME, kubectl wait)', async () => {
    const w = new WatchReader(cluster.url, `${NS}/configmaps?watch=true&fieldSelector=metadata.name%3Dwatch-named`);
    try {
      await http(cluster.url, 'POST', `${NS}/configmaps`, cm('watch-not-me'));
      await http(cluster.url, 'POST', `${NS}/configmaps`, cm('watch-named'));
      const e = await w.next();
      assert.equal(e.object.metadata.name, 'watch-named');
    } finally {
      w.close();
    }
  });
});

describe('delete, garbage collection and finalizers', () => {
  const owned = (name: string, owner: { metadata: { name: string; uid: string } }) => ({
    ...cm(name),
    metadata: { name, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata.name, uid: owner.metadata.uid }] },
  });

  test('deleting an owner deletes its dependents (Background and Foreground), not with Orphan', async () => {
    for (const policy of ['Background', 'Foreground', 'Orphan']) {
      const owner = (await http(cluster.url, 'POST', `${NS}/configmaps`, cm(`gc-owner-${policy.toLowerCase()}`))).body;
      await http(cluster.url, 'POST', `${NS}/configmaps`, owned(`gc-dep-${policy.toLowerCase()}`, owner));
      const del = await http(cluster.url, 'DELETE', `${NS}/configmaps/${owner.metadata.name as string}`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy });
      assert.equal(del.status, 200, del.text);
      assert.equal((await http(cluster.url, 'GET', `${NS}/configmaps/${owner.metadata.name as string}`)).status, 404);
      const dep = await http(cluster.url, 'GET', `${NS}/configmaps/gc-dep-${policy.toLowerCase()}`);
      if (policy === 'Orphan') {
        assert.equal(dep.status, 200);
        assert.equal(dep.body.metadata.ownerReferences, undefined);
      } else assert.equal(dep.status, 404, policy);
    }
  });

  test('propagationPolicy as a query parameter; a dependent with another live owner survives', async () => {
    const a = (await http(cluster.url, 'POST', `${NS}/configmaps`, cm('gc-a'))).body;
    const b = (await http(cluster.url, 'POST', `${NS}/configmaps`, cm('gc-b'))).body;
    const dep = owned('gc-shared', a);
    dep.metadata.ownerReferences.push({ apiVersion: 'v1', kind: 'ConfigMap', name: 'gc-b', uid: b.metadata.uid });
    await http(cluster.url, 'POST', `${NS}/configmaps`, dep);
    await http(cluster.url, 'DELETE', `${NS}/configmaps/gc-a?propagationPolicy=Background`);
    const left = await http(cluster.url, 'GET', `${NS}/configmaps/gc-shared`);
    assert.equal(left.status, 200);
    assert.deepEqual(left.body.metadata.ownerReferences.map((r: { name: string }) => r.name), ['gc-b']);
  });

  test('an object with finalizers gets a deletionTimestamp, and goes when they are removed', async () => {
    await http(cluster.url, 'POST', `${NS}/configmaps`, { ...cm('fin-a'), metadata: { name: 'fin-a', finalizers: ['example.com/hold'] } });
    const del = await http(cluster.url, 'DELETE', `${NS}/configmaps/fin-a`);
    assert.equal(del.status, 202);
    const held = await http(cluster.url, 'GET', `${NS}/configmaps/fin-a`);
    assert.ok(held.body.metadata.deletionTimestamp);
    const w = new WatchReader(cluster.url, `${NS}/configmaps?watch=true&fieldSelector=metadata.name%3Dfin-a&resourceVersion=${held.body.metadata.resourceVersion}`);
    try {
      await http(cluster.url, 'PATCH', `${NS}/configmaps/fin-a`, { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
      assert.equal((await w.next()).type, 'DELETED');
      assert.equal((await http(cluster.url, 'GET', `${NS}/configmaps/fin-a`)).status, 404);
    } finally {
      w.close();
    }
  });

  test('delete preconditions: a wrong uid is 409', async () => {
    await http(cluster.url, 'POST', `${NS}/configmaps`, cm('del-pre'));
    const r = await http(cluster.url, 'DELETE', `${NS}/configmaps/del-pre`, { preconditions: { uid: 'not-it' } });
    assert.equal(r.status, 409);
  });

  test('deleting a namespace deletes what is in it', async () => {
    await http(cluster.url, 'POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await http(cluster.url, 'POST', '/api/v1/namespaces/doomed/configmaps', cm('inside'));
    const r = await http(cluster.url, 'DELETE', '/api/v1/namespaces/doomed');
    assert.equal(r.status, 200);
    assert.equal((await http(cluster.url, 'GET', '/api/v1/namespaces/doomed')).status, 404);
    assert.equal(cluster.list('configmaps', 'doomed').length, 0);
  });
});

describe('counters, faults, access', () => {
  test('requests are counted per verb and resource, and can be reset', async () => {
    cluster.counters.reset();
    await http(cluster.url, 'GET', `${APPS}/deployments`);
    await http(cluster.url, 'GET', `${APPS}/deployments?labelSelector=app%3Dspark`);
    await http(cluster.url, 'GET', `${NS}/pods/x`);
    await http(cluster.url, 'GET', `${APPS}/deployments/x/scale`);
    await http(cluster.url, 'GET', '/api');
    assert.equal(cluster.counters.get('list deployments'), 2);
    assert.equal(cluster.counters.get('get pods'), 1);
    assert.equal(cluster.counters.get('get deployments/scale'), 1);
    assert.equal(cluster.counters.get('GET /api'), 1);
    assert.equal(cluster.counters.total(), 4);
    cluster.counters.reset();
    assert.deepEqual(cluster.counters.snapshot(), {});
  });

  test('a fault fails the next N matching requests with the given status, then stops', async () => {
    await http(cluster.url, 'POST', `${NS}/services`, { metadata: { name: 'fault-svc' }, spec: { ports: [{ port: 22 }] } });
    const fault = cluster.controls.fail({ verb: 'get', resource: 'services', name: 'fault-svc', times: 2, code: 403 });
    const other = await http(cluster.url, 'GET', `${NS}/services/crud-status`);
    assert.equal(other.status, 200, 'other names are not affected');
    const one = await http(cluster.url, 'GET', `${NS}/services/fault-svc`);
    assert.equal(one.status, 403);
    assert.equal(one.body.reason, 'Forbidden');
    assert.equal((await http(cluster.url, 'GET', `${NS}/services/fault-svc`)).status, 403);
    assert.equal((await http(cluster.url, 'GET', `${NS}/services/fault-svc`)).status, 200);
    assert.equal(fault.hits, 2);
    cluster.controls.fail({ verb: 'create', resource: 'configmaps', code: 409, reason: 'AlreadyExists', message: 'boom' });
    const conflict = await http(cluster.url, 'POST', `${NS}/configmaps`, cm('fault-cm'));
    assert.deepEqual([conflict.status, conflict.body.reason, conflict.body.message], [409, 'AlreadyExists', 'boom']);
    assert.equal((await http(cluster.url, 'GET', `${NS}/configmaps/fault-cm`)).status, 404, 'the failed create stored nothing');
    cluster.controls.fail({ verb: 'list', resource: 'pods', action: 'reset' });
    await assert.rejects(http(cluster.url, 'GET', `${NS}/pods`));
  });

  test('SelfSubjectAccessReview: allowed by default; a denial also makes the request 403', async () => {
    const review = (verb: string, resource: string, group = '') =>
      http(cluster.url, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { namespace: 'spark', verb, group, resource } },
      });
    const yes = await review('create', 'deployments', 'apps');
    assert.equal(yes.status, 201);
    assert.equal(yes.body.status.allowed, true);
    const undo = cluster.controls.deny({ verb: 'delete', resource: 'persistentvolumeclaims' });
    try {
      assert.equal((await review('delete', 'persistentvolumeclaims')).body.status.allowed, false);
      assert.equal((await review('list', 'persistentvolumeclaims')).body.status.allowed, true);
      await http(cluster.url, 'POST', `${NS}/persistentvolumeclaims`, { metadata: { name: 'rbac-pvc' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
      const del = await http(cluster.url, 'DELETE', `${NS}/persistentvolumeclaims/rbac-pvc`);
      assert.equal(del.status, 403);
      assert.equal(del.body.message, 'persistentvolumeclaims "rbac-pvc" is forbidden: User "fake-user" cannot delete resource "persistentvolumeclaims" in API group "" in the namespace "spark"');
    } finally {
      undo();
    }
    assert.equal((await http(cluster.url, 'DELETE', `${NS}/persistentvolumeclaims/rbac-pvc`)).status, 200);
  });

  test('a required token: requests without it are 401', async () => {
    const locked = await startFakeCluster({ token: 'sekret' });
    try {
      assert.equal((await http(locked.url, 'GET', '/api')).status, 401);
      assert.equal((await http(locked.url, 'GET', '/api', undefined, { Authorization: 'Bearer sekret' })).status, 200);
    } finally {
      await locked.stop();
    }
  });

  test('the spark namespace can be left out', async () => {
    const bare = await startFakeCluster({ sparkNamespace: false });
    try {
      assert.equal((await http(bare.url, 'GET', '/api/v1/namespaces/spark')).status, 404);
      assert.equal((await http(bare.url, 'GET', '/api/v1/namespaces/default')).status, 200);
    } finally {
      await bare.stop();
    }
  });
});
