/**
 * deploy/rbac.yaml for another namespace, as a user with SPARK_NAMESPACE applies it: the namespace
 * and the names of the cluster-wide objects changed, the rules untouched. Lets a test file have the
 * ServiceAccount and its grants to itself.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from '../postgres.js';
import { kubectlOk, type ClusterInfo } from './index.js';

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
// The manifests are plain data; tests read and change them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = any;

export function rbacObjects(namespace: string): Manifest[] {
  const objects = parseAllDocuments(readFileSync(join(REPO, 'deploy/rbac.yaml'), 'utf8')).map((d) => d.toJSON() as Manifest);
  for (const o of objects) {
    if (o.metadata.namespace) o.metadata.namespace = namespace;
    if (o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') o.metadata.name = `${o.metadata.name}-${namespace}`;
    if (o.kind === 'ClusterRoleBinding') o.roleRef.name = `${o.roleRef.name}-${namespace}`;
    for (const s of o.subjects ?? []) s.namespace = namespace;
    for (const r of (o.rules ?? []) as Rule[]) if (r.resourceNames) r.resourceNames = r.resourceNames.map((n) => (n === 'spark' ? namespace : n));
  }
  assert.deepEqual(objects.map((o) => o.kind), ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
  return objects;
}

export async function applyList(cluster: ClusterInfo, items: unknown[]): Promise<void> {
  await kubectlOk(cluster, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
}

/** The namespace (once it has its default ServiceAccount, so pods can be made), rbac.yaml in it, and a fresh token of spark-cli. */
export async function sparkNamespaceWithToken(cluster: ClusterInfo, namespace: string): Promise<string> {
  await applyList(cluster, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }]);
  await applyList(cluster, rbacObjects(namespace));
  await kubectlOk(cluster, ['wait', 'serviceaccount/default', '-n', namespace, '--for=create', '--timeout=60s']);
  return (await kubectlOk(cluster, ['create', 'token', 'spark-cli', '-n', namespace, '--duration=2h'])).trim();
}
