/**
 * `spark list` pages large namespaces (limit/continue, LIST_PAGE items a request) and still shows
 * every spark: the fake API server pages as a real one does (test/support/fake-kube/server.ts).
 * A real control plane cannot be seeded with thousands of sparks in test time; the fake can.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIST_PAGE } from '../../src/runtimes/kubernetes/client.js';
import { DEFAULT_MANIFEST_OPTIONS, sparkManifests } from '../../src/runtimes/kubernetes/manifests.js';
import { openKubernetesRuntime } from '../../src/runtimes/kubernetes/runtime.js';
import { startFakeCluster } from '../support/fake-kube/index.js';

test('a namespace larger than one page is listed whole, one page of each kind at a time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spark-paging-'));
  const fake = await startFakeCluster();
  try {
    const count = LIST_PAGE * 2 + 7;
    const objects = Array.from({ length: count }, (_, i) => {
      const name = `page-${String(i).padStart(5, '0')}`;
      const m = sparkManifests(
        { name, repo: '', databaseName: name, databaseUrl: `postgresql://spark:pw@db.example:5432/${name}`, isolation: 'shared', createdAt: '2025-01-01T00:00:00.000Z', creator: 'me@laptop', sshPublicKey: 'ssh-ed25519 AAAAC3Nza me@laptop' },
        DEFAULT_MANIFEST_OPTIONS,
      );
      // Asleep, so no pods are asked for: the lists of the four kinds are all there is.
      return [m.configMap, m.secret, m.pvc, m.service, { ...m.deployment, spec: { ...m.deployment.spec, replicas: 0 } }];
    });
    fake.seed(objects.flat());
    const runtime = openKubernetesRuntime({ get: (key) => ({ KUBECONFIG: fake.writeKubeconfig(join(dir, 'kubeconfig')), SPARK_NAMESPACE: 'spark' })[key] });
    const from = fake.requests.length;
    const listed = await runtime.list();
    assert.equal(listed.length, count);
    assert.ok(listed.every((s) => s.state === 'Sleeping'), 'every spark complete: nothing lost between pages');
    const deployments = fake.requests.slice(from).filter((q) => q.key === 'list deployments');
    assert.equal(deployments.length, 3, 'three pages of deployments');
    assert.ok(deployments.every((q) => new URLSearchParams(q.query).get('limit') === String(LIST_PAGE)));
    assert.equal(deployments.filter((q) => new URLSearchParams(q.query).has('continue')).length, 2, 'the later pages continue the first');
  } finally {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
