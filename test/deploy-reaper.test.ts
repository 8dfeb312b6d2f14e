/**
 * deploy/reaper.yaml as data: a CronJob every 10 minutes that never overlaps, run as its own
 * ServiceAccount bound to its own Role, with spark at the version of this package. (That the manifest
 * applies and that its Role suffices for `spark reap` is proven on the real control plane in
 * test/k8s/reap.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
const docs: Doc[] = parseAllDocuments(readFileSync('deploy/reaper.yaml', 'utf8')).map((d) => d.toJS());
const byKind = (kind: string): Doc => docs.find((d) => d.kind === kind);
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string; bin: Record<string, string> };

test('reaper.yaml: its own ServiceAccount, Role and RoleBinding, and a CronJob', () => {
  assert.deepEqual(docs.map((d) => d.kind), ['ServiceAccount', 'Role', 'RoleBinding', 'CronJob']);
  const sa = byKind('ServiceAccount');
  assert.notEqual(sa.metadata.name, 'spark-cli', 'not the CLI\'s own ServiceAccount');
  const binding = byKind('RoleBinding');
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: byKind('Role').metadata.name });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'spark' }]);
  assert.equal(byKind('CronJob').spec.jobTemplate.spec.template.spec.serviceAccountName, sa.metadata.name);
});

test('reaper.yaml: every 10 minutes, never two at once, a bounded history, no retries piling up', () => {
  const { spec } = byKind('CronJob');
  assert.equal(spec.schedule, '*/10 * * * *');
  assert.equal(spec.concurrencyPolicy, 'Forbid');
  assert.ok(spec.successfulJobsHistoryLimit <= 5 && spec.failedJobsHistoryLimit <= 5);
  assert.equal(spec.jobTemplate.spec.backoffLimit, 0);
  assert.ok(spec.jobTemplate.spec.activeDeadlineSeconds < 600, 'a run ends before the next one is due');
});

test('reaper.yaml: the Role creates nothing and reads no events or other namespaces', () => {
  const role = byKind('Role');
  const verbs = role.rules.flatMap((r: Doc) => r.verbs);
  assert.ok(!verbs.includes('create'), 'reap creates nothing');
  assert.ok(!verbs.includes('*'));
  assert.ok(!role.rules.some((r: Doc) => r.resources.includes('*') || r.apiGroups.includes('*')));
  assert.ok(!role.rules.some((r: Doc) => r.resources.includes('events')));
});

test('reaper.yaml runs `spark reap` from this package at this version, in the namespace it runs in', () => {
  const container = byKind('CronJob').spec.jobTemplate.spec.template.spec.containers[0];
  assert.deepEqual(container.command, ['npm', 'exec', '--yes', `--package=${pkg.name}@${pkg.version}`, '--', Object.keys(pkg.bin)[0], 'reap']);
  assert.match(container.image, /^node:20(\.|-)/, 'a Node.js 20 image (package.json engines)');
  const namespace = container.env.find((e: Doc) => e.name === 'SPARK_NAMESPACE');
  assert.deepEqual(namespace.valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } });
  assert.ok(!container.env.some((e: Doc) => /PASSWORD|TOKEN|KEY/.test(e.name)), 'no secret in the manifest: spark reads spark-cli-config itself');
});
