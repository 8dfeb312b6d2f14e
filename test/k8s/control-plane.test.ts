/**
 * The control plane the tests run is a real one: etcd behind the API server, the API groups a
 * cluster has (batch, rbac, ...), strict RBAC for a user with no grants.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubeconfigYaml, kubectl, kubectlOk, testCluster } from '../support/cluster/index.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('the API server is ready with etcd, and serves the groups of a real cluster', async () => {
  const cluster = testCluster();
  const readyz = await kubectlOk(cluster, ['get', '--raw', '/readyz?verbose']);
  assert.match(readyz, /\[\+\]etcd ok/);
  assert.match(readyz, /readyz check passed/);
  const resources = await kubectlOk(cluster, ['api-resources', '-o', 'name']);
  for (const name of ['cronjobs.batch', 'roles.rbac.authorization.k8s.io', 'customresourcedefinitions.apiextensions.k8s.io', 'deployments.apps', 'leases.coordination.k8s.io']) {
    assert.match(resources, new RegExp(`^${name.replace(/\./g, '\\.')}$`, 'm'));
  }
  const nodes = await kubectlOk(cluster, ['get', 'nodes', '-o', 'name']);
  assert.equal(nodes.trim(), 'node/kwok-node-0');
});

test('a token the server does not know is 401, and an identity without grants is refused by RBAC', async () => {
  const cluster = testCluster();
  const dir = mkdtempSync(join(tmpdir(), 'spark-k8s-authn-'));
  const unknown = join(dir, 'unknown.kubeconfig');
  writeFileSync(unknown, kubeconfigYaml(cluster, 'nobody', 'not-a-known-token'));
  const denied = await kubectl(cluster, ['get', 'pods', '-n', 'spark'], { kubeconfig: unknown });
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /Unauthorized|must be logged in/);
  await kubectlOk(cluster, ['create', 'serviceaccount', 'no-grants', '-n', 'spark']);
  const token = (await kubectlOk(cluster, ['create', 'token', 'no-grants', '-n', 'spark'])).trim();
  const bare = join(dir, 'bare.kubeconfig');
  writeFileSync(bare, kubeconfigYaml(cluster, 'no-grants', token));
  const forbidden = await kubectl(cluster, ['get', 'deployments', '-n', 'spark'], { kubeconfig: bare });
  assert.equal(forbidden.code, 1);
  assert.match(forbidden.stderr, /forbidden: User "system:serviceaccount:spark:no-grants" cannot list resource "deployments"/);
});
