/**
 * The readiness wait of create asks only for the events of the spark's own objects (fieldSelector on
 * involvedObject), never for every event of the namespace: at a thousand sparks that list alone was
 * megabytes. The fake API server logs each request with its query.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pvcName } from '../../src/runtimes/kubernetes/labels.js';
import { openKubernetesRuntime } from '../../src/runtimes/kubernetes/runtime.js';
import { startFakeCluster } from '../support/fake-kube/index.js';

test("create's wait follows the events of the spark's Deployment, claim, ReplicaSets and pods only", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spark-create-events-'));
  // The pod becomes ready a moment after it runs, so the wait sees it before it is ready.
  const fake = await startFakeCluster({ readyDelayMs: 400 });
  try {
    const values: Record<string, string> = { KUBECONFIG: fake.writeKubeconfig(join(dir, 'kubeconfig')), SPARK_NAMESPACE: 'spark', SPARK_IMAGE: 'ghcr.io/me/spark:1' };
    const runtime = openKubernetesRuntime({ get: (key) => values[key] }, { deleteWaitMs: 5_000 });
    const name = 'evented';
    const spec = { name, repo: '', databaseName: name, databaseUrl: `postgresql://spark:pw@db.example:5432/${name}`, isolation: 'shared' as const, createdAt: '2025-01-01T00:00:00.000Z', creator: 'me@laptop', sshPublicKey: 'ssh-ed25519 AAAAC3Nza me@laptop' };
    await runtime.claim(spec);
    await runtime.create(spec);
    const from = fake.requests.length;
    const ready = await runtime.waitReady(name, { timeoutMs: 30_000 });
    assert.equal(ready.state, 'Running');
    const events = fake.requests.slice(from).filter((q) => q.path.endsWith('/events'));
    const selectors = events.map((q) => new URLSearchParams(q.query).get('fieldSelector') ?? '(none)');
    assert.ok(selectors.length > 0, 'events were asked for');
    assert.deepEqual(selectors.filter((f) => !f.startsWith('involvedObject.kind=')), [], 'every events request is filtered by its object');
    for (const wanted of [`involvedObject.kind=Deployment,involvedObject.name=${name}`, `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${pvcName(name)}`, 'involvedObject.kind=ReplicaSet']) {
      assert.ok(selectors.includes(wanted), `${wanted} in ${selectors.join(' | ')}`);
    }
    assert.ok(selectors.some((f) => f.startsWith(`involvedObject.kind=Pod,involvedObject.name=${name}-`)), `the pod's events: ${selectors.join(' | ')}`);
    assert.deepEqual((await runtime.delete(name)).left, []);
  } finally {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
