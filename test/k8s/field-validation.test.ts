/**
 * Server-side apply and strict field validation on the real API server: spark's manifests (every
 * option set) apply cleanly with fieldValidation=Strict, an unknown field is rejected, and a value the
 * server refuses reaches the user as spark's "refused as invalid" with nothing left behind.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { SparkSpec } from '../../src/core/ports.js';
import { DEFAULT_MANIFEST_OPTIONS, sparkManifests, type ManifestOptions } from '../../src/runtimes/kubernetes/manifests.js';
import { kubectl, kubectlOk, testCluster, type ClusterInfo } from '../support/cluster/index.js';
import { runSpark } from '../support/cli.js';
import { sparkEnv, testServers, unique } from '../support/postgres.js';

let cluster: ClusterInfo;
before(() => {
  cluster = testCluster();
});

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
    anthropicApiKey: 'sk-ant-fake.FIELD.KEY',
  };
}

const EVERY_OPTION: ManifestOptions = {
  ...DEFAULT_MANIFEST_OPTIONS,
  storageClass: 'standard',
  tailscaleTags: 'tag:spark',
  tailscaleProxyClass: 'spark-proxy',
  toolsClaim: 'spark-tools',
};

/** Server-side apply of a List, dry run, strict: the server's verdict without changing anything. */
function strictApply(items: unknown[]) {
  return kubectl(cluster, ['apply', '--server-side', '--field-manager=spark', '--dry-run=server', '--validate=strict', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
}

for (const [what, options] of [['default options', DEFAULT_MANIFEST_OPTIONS], ['every option set', EVERY_OPTION]] as const) {
  test(`spark's manifests (${what}) pass strict server-side field validation`, async () => {
    const m = sparkManifests(spec(unique('strict')), options);
    const result = await strictApply([m.configMap, m.secret, m.pvc, m.service, m.deployment]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr.trim(), '', 'no warnings either (unknown or duplicate fields would warn)');
    assert.match(result.stdout, /deployment\.apps\/\S+ serverside-applied \(server dry run\)/);
  });
}

test('an unknown field in a manifest is rejected by strict validation, naming the field', async () => {
  const m = sparkManifests(spec(unique('typo')), DEFAULT_MANIFEST_OPTIONS);
  const deployment = structuredClone(m.deployment) as unknown as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
  deployment.spec.template.spec.containers[0]!.imagePullPolice = 'Always';
  const result = await strictApply([deployment]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /imagePullPolice/);
  assert.match(result.stderr, /field not declared in schema|unknown field/);
});

test('a CPU request above its limit (which the real API server refuses) is refused before anything is made, naming the settings', async () => {
  const server = testServers()[0]!;
  const home = mkdtempSync(join(tmpdir(), 'spark-k8s-invalid-'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  const env = { ...sparkEnv(server), HOME: home, SPARK_CONFIG: join(home, 'config.json'), KUBECONFIG: cluster.kubeconfig, SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'), SPARK_CPU_REQUEST: '3', SPARK_CPU_LIMIT: '1' };
  const name = unique('invalid');
  const result = await runSpark(['create', name, '--no-shell'], { env, timeoutMs: 120_000 });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /SPARK_CPU_REQUEST="3" .* is more than SPARK_CPU_LIMIT="1"/);
  const left = await kubectlOk(cluster, ['get', 'deployments,services,persistentvolumeclaims,configmaps,secrets', '-n', 'spark', '-l', `spark-name=${name}`, '-o', 'name']);
  assert.equal(left.trim(), '');
});
