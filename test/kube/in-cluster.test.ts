/**
 * spark inside a pod (a CronJob that cleans up): no kubeconfig, only KUBERNETES_SERVICE_HOST/PORT
 * and the service account's token, CA and namespace files. Those live at fixed paths under
 * /var/run, so the built spark runs in a mount namespace of its own with a tmpfs there: nothing on
 * the machine changes. Needs root and unshare.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { capture } from '../support/capture.js';
import { SPARK_BIN } from '../support/cli.js';
import { goSparkObjects, startFakeCluster } from '../support/fake-kube/index.js';
import { selfSigned } from '../support/tls.js';

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--mount', 'true']).status === 0;

/** Puts the service-account files where a pod has them, then runs the command. */
const IN_POD = 'mount -t tmpfs tmpfs /var/run && mkdir -p /var/run/secrets/kubernetes.io/serviceaccount && cp "$SA_DIR"/* /var/run/secrets/kubernetes.io/serviceaccount/ && exec "$@"';

test("in a pod, the service account's token and CA reach the cluster: list, status and delete", { skip: canUnshare ? false : 'needs root and unshare (a private mount namespace for /var/run/secrets)' }, async () => {
  const token = `sa-token-${randomBytes(12).toString('hex')}`;
  const tls = selfSigned('in-cluster');
  const cluster = await startFakeCluster({ tls, token });
  try {
    cluster.seed(goSparkObjects('cron-owl'));
    await cluster.waitFor(() => cluster.list('pods', 'spark').some((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running'));
    const dir = mkdtempSync(join(tmpdir(), 'spark-in-cluster-'));
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), token);
    writeFileSync(join(sa, 'ca.crt'), tls.cert);
    writeFileSync(join(sa, 'namespace'), 'spark');
    const inPod = (args: string[]) =>
      capture('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', IN_POD, 'sh', process.execPath, SPARK_BIN, ...args], {
        env: { PATH: process.env.PATH, HOME: dir, SA_DIR: sa, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(cluster.port) },
        timeoutMs: 60_000,
      });

    const listed = await inPod(['list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const listing = JSON.parse(listed.stdout) as { sparks: Array<{ name: string; state: string }>; unavailable: Array<{ part: string }> };
    assert.deepEqual(listing.sparks.map((s) => [s.name, s.state]), [['cron-owl', 'Running']]);
    assert.deepEqual(listing.unavailable.map((u) => u.part), ['database'], 'no POSTGRES_PASSWORD here: only the database part is missing');
    const status = await inPod(['status', 'cron-owl']);
    assert.equal(status.code, 0, status.stderr);
    const deleted = await inPod(['delete', 'cron-owl', '--yes', '--keep-db']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(cluster.list('deployments', 'spark').map((d) => d.metadata.name), []);
    for (const run of [listed, status, deleted]) assert.ok(!`${run.stdout}${run.stderr}`.includes(token), 'the token never appears');
  } finally {
    await cluster.stop();
  }
});
