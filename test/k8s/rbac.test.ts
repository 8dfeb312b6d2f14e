/**
 * RBAC for real: deploy/rbac.yaml applied to the real API server (authorization-mode RBAC), a token
 * minted for its ServiceAccount (TokenRequest), and every spark command run with a kubeconfig that
 * holds only that token. Then each rule taken out in turn: `create --test` and `doctor` name what is
 * missing, and a command that needs the rule fails naming the verb and the resource.
 *
 * It runs in a namespace of its own (spark-rbac, as SPARK_NAMESPACE) so that the other test files'
 * sparks in `spark` are not in its way: rbac.yaml is applied with only that namespace renamed
 * (test/support/cluster/rbac.ts).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { describeAccess, SPARK_PERMISSIONS, type Verb } from '../../src/runtimes/kubernetes/permissions.js';
import { kubeconfigYaml, kubectlOk, testCluster, type ClusterInfo } from '../support/cluster/index.js';
import { applyList, rbacObjects, sparkNamespaceWithToken, type Manifest, type Rule } from '../support/cluster/rbac.js';
import { makeRole, sparkEnv, testServers, unique, type TestServer } from '../support/postgres.js';
import { makeUserHome, runSpark } from '../support/cli.js';

const NAMESPACE = 'spark-rbac';
const server: TestServer = testServers()[0]!;
let cluster: ClusterInfo;
let env: Record<string, string>;
let token: string;

const objects = rbacObjects(NAMESPACE);
const role = objects.find((o: Manifest) => o.kind === 'Role');
const clusterRole = objects.find((o: Manifest) => o.kind === 'ClusterRole');

async function applyObjects(items: Manifest[]): Promise<void> {
  await applyList(cluster, items);
}

before(async () => {
  cluster = testCluster();
  token = await sparkNamespaceWithToken(cluster, NAMESPACE);
  const { home, fakeSsh } = makeUserHome('spark-rbac-');
  writeFileSync(join(home, 'kubeconfig'), kubeconfigYaml(cluster, 'spark-cli', token, NAMESPACE), { mode: 0o600 });
  env = {
    ...sparkEnv(server),
    HOME: home,
    SPARK_CONFIG: join(home, 'config.json'),
    KUBECONFIG: join(home, 'kubeconfig'),
    SPARK_NAMESPACE: NAMESPACE,
    SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'),
    SPARK_SSH: fakeSsh,
  };
});

test('the ServiceAccount token of deploy/rbac.yaml suffices for every spark command', async () => {
  const whoami = await kubectlOk(cluster, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig: env.KUBECONFIG });
  assert.equal(whoami, `system:serviceaccount:${NAMESPACE}:spark-cli`, 'the kubeconfig holds the ServiceAccount token only');
  const settings = await makeRole(server, { prefix: 'rbac' });
  const roleEnv = { ...env, POSTGRES_USER: settings.user, POSTGRES_PASSWORD: settings.password };
  const name = unique('rbac');
  const run = async (args: string[], extra: Record<string, string> = {}) => {
    const result = await runSpark(args, { env: { ...roleEnv, ...extra }, timeoutMs: 120_000 });
    assert.equal(result.code, 0, `spark ${args.join(' ')}: ${result.stdout}${result.stderr}`);
    assert.ok(!(result.stdout + result.stderr).includes(token), 'the token is never printed');
    return result;
  };
  await run(['create', '--test']);
  await run(['create', name, '--no-shell']);
  await run(['list']);
  await run(['status', name]);
  await run(['shell', name, '--', 'true']);
  await run(['sleep', name]);
  await run(['shell', name, '--', 'true']); // wakes it first
  await run(['sleep', name]);
  await run(['wake', name]);
  await run(['config']);
  // setup-db of another role (it sets that role's password) writes spark-cli-config; rotate-password rewrites it.
  await run(['admin', 'setup-db', '--superuser-url', server.superuserUrl, '--yes'], { POSTGRES_USER: `${settings.user}_setup` });
  // With spark-cli-config written, every Kubernetes check of doctor is green.
  const doctor = JSON.parse((await runSpark(['doctor', '--json'], { env: roleEnv })).stdout) as { checks: Array<{ id: string; status: string; detail?: string }> };
  const kube = doctor.checks.filter((c) => c.id.startsWith('kube'));
  assert.ok(kube.length > 0);
  for (const check of kube) assert.equal(check.status, 'ok', `${check.id}: ${check.detail}`);
  const rotated = await runSpark(['admin', 'rotate-password', '--yes'], { env: roleEnv, timeoutMs: 120_000 });
  assert.equal(rotated.code, 0, rotated.stderr);
  // The rotated password lives in the spark-cli-config Secret now: spark reads it from there.
  const { POSTGRES_PASSWORD: _old, ...fromSecret } = roleEnv;
  const deleted = await runSpark(['delete', name, '--yes'], { env: fromSecret, timeoutMs: 120_000 });
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal((await kubectlOk(cluster, ['get', 'deployments,configmaps,secrets,services,pvc', '-n', NAMESPACE, '-l', `spark-name=${name}`, '-o', 'name'])).trim(), '');
});

/** What spark needs that `rule` (of the Role or ClusterRole) grants, as `describeAccess` words it. */
function grantedBy(rule: Rule): string[] {
  return SPARK_PERMISSIONS.flatMap((p) => {
    const [resource = p.resource, subresource] = p.resource.split('/');
    if (!rule.apiGroups.includes(p.group) || !rule.resources.includes(p.resource)) return [];
    return p.verbs.filter((v) => rule.verbs.includes(v)).map((verb: Verb) => describeAccess({ group: p.group, resource, subresource, verb }));
  });
}

async function withRules(kind: 'Role' | 'ClusterRole', rules: Rule[], body: () => Promise<void>): Promise<void> {
  const original = kind === 'Role' ? role : clusterRole;
  await applyObjects([{ ...original, rules }]);
  try {
    await body();
  } finally {
    await applyObjects([original]);
  }
}

const allRules: Array<['Role' | 'ClusterRole', number, Rule]> = [
  ...(role.rules as Rule[]).map((r, i): ['Role', number, Rule] => ['Role', i, r]),
  ...(clusterRole.rules as Rule[]).map((r, i): ['ClusterRole', number, Rule] => ['ClusterRole', i, r]),
];
for (const [kind, index, rule] of allRules) {
  test(`without the ${kind} rule for ${rule.resources.join(', ')}, create --test and doctor name exactly what is missing`, async () => {
    const missing = grantedBy(rule);
    assert.ok(missing.length > 0, 'every rule of rbac.yaml grants something spark needs');
    const rules = (kind === 'Role' ? role : clusterRole).rules.filter((_: Rule, i: number) => i !== index);
    await withRules(kind, rules, async () => {
      const selfTest = await runSpark(['create', '--test', '--json'], { env });
      assert.equal(selfTest.code, 1, selfTest.stdout);
      const doctor = await runSpark(['doctor', '--json'], { env });
      assert.equal(doctor.code, 1, doctor.stdout);
      for (const output of [selfTest.stdout, doctor.stdout]) {
        const checks = (JSON.parse(output) as { checks: Array<{ id: string; detail?: string }> }).checks;
        const detail = checks.find((c) => c.id === 'kube-permissions')?.detail ?? '';
        assert.deepEqual(detail.replace(/^missing: /, '').split(', ').sort(), [...missing].sort(), detail);
      }
    });
  });
}

// A verb taken out of one rule: create gets past the name check and fails at that step, then rolls back.
const commandNeeds: Array<[string, number, string | null, RegExp]> = [
  ['deployments', 0, 'patch', /Not allowed to patch deployments\.apps in namespace spark-rbac[^]*spark needs the permission "patch" on "deployments\.apps"/],
  ['configmaps', 2, 'create', /Not allowed to create configmaps in namespace spark-rbac[^]*"create" on "configmaps"/],
  ['secrets', 3, 'patch', /Not allowed to patch secrets in namespace spark-rbac[^]*"patch" on "secrets"/],
  ['pods', 4, null, /Not allowed to (list|watch) pods in namespace spark-rbac/],
];
for (const [resource, index, verb, expected] of commandNeeds) {
  test(`without ${verb ?? 'any verb'} on ${resource}, spark create fails naming the verb and resource, and leaves nothing`, async () => {
    const name = unique(`no-${resource.slice(0, 6)}`);
    const rule = role.rules[index] as Rule;
    assert.ok(rule.resources.includes(resource));
    const rules = verb === null ? role.rules.filter((_: Rule, i: number) => i !== index) : role.rules.map((r: Rule, i: number) => (i === index ? { ...r, verbs: r.verbs.filter((v) => v !== verb) } : r));
    await withRules('Role', rules, async () => {
      const result = await runSpark(['create', name, '--no-shell'], { env, timeoutMs: 120_000 });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, expected);
      assert.match(result.stderr, /kubectl apply -f deploy\/rbac\.yaml/);
    });
    const left = await kubectlOk(cluster, ['get', 'deployments,configmaps,secrets,services,pvc', '-n', NAMESPACE, '-l', `spark-name=${name}`, '-o', 'name']);
    assert.equal(left.trim(), '', 'nothing of the failed create remains');
  });
}
