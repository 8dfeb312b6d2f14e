/**
 * spark inside a pod (a CronJob that cleans up) on the real control plane: no kubeconfig, only
 * KUBERNETES_SERVICE_HOST/PORT and a real ServiceAccount token (TokenRequest for deploy/rbac.yaml's
 * spark-cli), the cluster CA and the namespace file. Those live at fixed paths under /var/run, so the
 * built spark runs in a mount namespace of its own with a tmpfs there. Needs root and unshare.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { capture } from '../support/capture.js';
import { SPARK_BIN } from '../support/cli.js';
import { kubectlOk, testCluster } from '../support/cluster/index.js';
import { applyList, sparkNamespaceWithToken } from '../support/cluster/rbac.js';
import { goSparkObjects } from '../support/fake-kube/fixtures.js';

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--mount', 'true']).status === 0;
const NAMESPACE = 'spark-in-pod';
const IN_POD = 'mount -t tmpfs tmpfs /var/run && mkdir -p /var/run/secrets/kubernetes.io/serviceaccount && cp "$SA_DIR"/* /var/run/secrets/kubernetes.io/serviceaccount/ && exec "$@"';

test("in a pod, a real ServiceAccount token and the cluster CA reach the API server: list, status and delete", { skip: canUnshare ? false : 'needs root and unshare (a private mount namespace for /var/run/secrets)' }, async () => {
  const cluster = testCluster();
  const token = await sparkNamespaceWithToken(cluster, NAMESPACE);
  await applyList(cluster, goSparkObjects('cron-owl', { namespace: NAMESPACE }));
  await kubectlOk(cluster, ['wait', 'deployment/cron-owl', '-n', NAMESPACE, '--for=condition=Available', '--timeout=60s']);
  const dir = mkdtempSync(join(tmpdir(), 'spark-in-cluster-'));
  const sa = join(dir, 'serviceaccount');
  mkdirSync(sa);
  writeFileSync(join(sa, 'token'), token);
  writeFileSync(join(sa, 'ca.crt'), cluster.caCert);
  writeFileSync(join(sa, 'namespace'), NAMESPACE);
  const inPod = (args: string[]) =>
    capture('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', IN_POD, 'sh', process.execPath, SPARK_BIN, ...args], {
      // spark's namespace is SPARK_NAMESPACE (default spark), not the ServiceAccount's: the CronJob sets it.
      env: { PATH: process.env.PATH, HOME: dir, SA_DIR: sa, SPARK_NAMESPACE: NAMESPACE, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(cluster.port) },
      timeoutMs: 60_000,
    });

  const listed = await inPod(['list', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const listing = JSON.parse(listed.stdout) as { sparks: Array<{ name: string; state: string; reason?: string }>; unavailable: Array<{ part: string }> };
  assert.deepEqual(listing.sparks.map((s) => [s.name, s.state]), [['cron-owl', 'Running']], listed.stdout);
  assert.deepEqual(listing.unavailable.map((u) => u.part), ['database'], 'no POSTGRES_PASSWORD here: only the database part is missing');
  const status = await inPod(['status', 'cron-owl']);
  assert.equal(status.code, 0, status.stderr);
  const deleted = await inPod(['delete', 'cron-owl', '--yes', '--keep-db']);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal((await kubectlOk(cluster, ['get', 'deployments,services,persistentvolumeclaims', '-n', NAMESPACE, '-o', 'name'])).trim(), '');
  for (const run of [listed, status, deleted]) assert.ok(!`${run.stdout}${run.stderr}`.includes(token), 'the token never appears');
});
