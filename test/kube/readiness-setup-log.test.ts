/**
 * `spark create`'s wait shows the spark's own setup steps: the "spark-step: …" lines of the
 * container log, read through pods/log while the pod runs but is not ready yet (a plain image
 * installing openssh-server), against the fake API server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { SparkSpec } from '../../src/core/ports.js';
import { stepLine } from '../../src/runtimes/kubernetes/readiness.js';
import { openKubernetesRuntime, type KubernetesRuntime } from '../../src/runtimes/kubernetes/runtime.js';
import { startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';

const dir = mkdtempSync(join(tmpdir(), 'spark-setup-log-'));
let cluster: FakeCluster;
let runtime: KubernetesRuntime;

before(async () => {
  cluster = await startFakeCluster();
  const kubeconfig = cluster.writeKubeconfig(join(dir, 'kubeconfig'));
  const values: Record<string, string> = { KUBECONFIG: kubeconfig, SPARK_NAMESPACE: 'spark', SPARK_IMAGE: 'debian:bookworm' };
  runtime = openKubernetesRuntime({ get: (key) => values[key] }, { deleteWaitMs: 5_000 });
});
after(async () => {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
});

const spec = (name: string): SparkSpec => ({ name, databaseName: name, databaseUrl: `postgresql://spark:pw@db.example:5432/${name}`, isolation: 'shared', createdAt: '2025-01-01T00:00:00.000Z', creator: 'me', sshPublicKey: 'ssh-ed25519 AAAAC3Nza me' });

test('stepLine takes only the init script\'s step lines', () => {
  assert.equal(stepLine('spark-step: packages done in 12s'), 'packages done in 12s');
  assert.equal(stepLine('spark-init: starting spark x'), undefined);
  assert.equal(stepLine('Server listening on 0.0.0.0 port 22.'), undefined);
});

test('while the pod runs but is not ready, the wait reports the setup steps from the container log, then resolves when ready', async () => {
  const name = 'setup-log';
  cluster.controls.failPods(name, 'NotReady');
  await runtime.claim(spec(name));
  await runtime.create(spec(name));
  const progress: string[] = [];
  let notify = () => {};
  const seen = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      const check = () => (progress.some((p) => pattern.test(p)) ? resolve() : (notify = check));
      check();
    });
  const ready = runtime.waitReady(name, {
    timeoutMs: 60_000,
    onProgress: (e) => {
      progress.push(e.detail ?? '');
      notify();
    },
  });
  await seen(/starting SSH/);
  cluster.controls.podLog(name, 'spark-init: starting spark setup-log', 'spark-step: ssh-server started', 'spark-init: installing openssh-server');
  await seen(/^setup: ssh-server started$/);
  cluster.controls.podLog(name, 'spark-step: ssh-server done', 'spark-step: sshd listening: ssh user@spark-setup-log');
  await seen(/^setup: sshd listening/);
  cluster.controls.failPods(name, null);
  assert.equal((await ready).state, 'Running');
  assert.ok(progress.includes('setup: ssh-server done'), progress.join('\n'));
  assert.ok(!progress.some((p) => /spark-init|installing openssh/.test(p)), 'only the step lines are shown');
  assert.ok(cluster.counters.get('get pods/log')! >= 1);
});
