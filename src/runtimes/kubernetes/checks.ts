/** `spark doctor`'s questions to the cluster: reachable, namespace, permissions, the settings Secret, the Tailscale operator. */
import type { CheckResult } from '../../core/ports.js';
import type { SparkError } from '../../errors.js';
import { resourcePath, type k8s, type KubeClient } from './client.js';
import { CLI_CONFIG_SECRET } from './labels.js';
import { accessChecks, describeAccess } from './permissions.js';

const TAILSCALE_DOCS = 'https://tailscale.com/kb/1236/kubernetes-operator';


export async function clusterChecks(c: KubeClient): Promise<CheckResult[]> {
  const { context, server, namespace } = c.target;
  const results: CheckResult[] = [];
  const timeoutMs = 10_000;
  try {
    const version = await c.get<k8s.VersionInfo>({ verb: 'get', resource: 'version', clusterScoped: true }, '/version', undefined, { timeoutMs });
    results.push({ id: 'kube-context', title: 'Kubernetes cluster is reachable', status: 'ok', detail: `context ${context} (${server}), Kubernetes ${version.gitVersion}` });
  } catch (error) {
    const e = error as SparkError;
    results.push({ id: 'kube-context', title: 'Kubernetes cluster is reachable', status: 'fail', blocking: true, detail: e.message, fix: e.hint });
    for (const [id, title] of [
      ['kube-namespace', `Namespace ${namespace} exists`],
      ['kube-permissions', 'Kubernetes permissions'],
      ['kube-cli-config', `Secret ${CLI_CONFIG_SECRET} exists`],
      ['tailscale-operator', 'Tailscale operator is installed'],
    ] as const) {
      results.push({ id, title, status: 'skip', detail: 'the cluster is not reachable' });
    }
    return results;
  }

  const [namespaceCheck, permissions, secret, tailscale] = await Promise.all([
    checkNamespace(c, timeoutMs),
    checkPermissions(c, timeoutMs),
    checkCliConfigSecret(c, timeoutMs),
    checkTailscale(c, timeoutMs),
  ]);
  results.push(namespaceCheck, permissions, secret, tailscale);
  return results;
}

async function checkNamespace(c: KubeClient, timeoutMs: number): Promise<CheckResult> {
  const title = `Namespace ${c.namespace} exists`;
  try {
    const found = await c.find({ verb: 'get', resource: 'namespaces', name: c.namespace, clusterScoped: true }, resourcePath(undefined, 'namespaces', undefined, c.namespace), { timeoutMs });
    if (found) return { id: 'kube-namespace', title, status: 'ok' };
    return { id: 'kube-namespace', title, status: 'fail', blocking: true, detail: `namespace ${c.namespace} not found (context ${c.target.context})`, fix: 'kubectl apply -f deploy/namespace.yaml   (or set SPARK_NAMESPACE)' };
  } catch (error) {
    const e = error as SparkError;
    if (e.code === 'KUBE_FORBIDDEN') return { id: 'kube-namespace', title, status: 'warn', blocking: false, detail: 'not allowed to read namespaces; assuming it exists', fix: 'kubectl apply -f deploy/rbac.yaml' };
    return { id: 'kube-namespace', title, status: 'fail', blocking: true, detail: e.message, fix: e.hint };
  }
}

/** One SelfSubjectAccessReview per verb and resource spark uses (any authenticated user may ask). */
async function checkPermissions(c: KubeClient, timeoutMs: number): Promise<CheckResult> {
  const title = `Kubernetes permissions in namespace ${c.namespace}`;
  const checks = accessChecks(c.namespace);
  try {
    const answers = await Promise.all(
      checks.map((check) =>
        c.send<k8s.V1SelfSubjectAccessReview>(
          { verb: 'create', resource: 'selfsubjectaccessreviews', group: 'authorization.k8s.io', clusterScoped: true },
          'POST',
          '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
          { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { ...check } } },
          { timeoutMs },
        ),
      ),
    );
    const missing = checks.filter((_, i) => !answers[i]?.status?.allowed).map(describeAccess);
    if (!missing.length) return { id: 'kube-permissions', title, status: 'ok', detail: `${checks.length} permissions checked` };
    return {
      id: 'kube-permissions',
      title,
      status: 'fail',
      blocking: true,
      detail: `missing: ${missing.join(', ')}`,
      fix: `kubectl apply -f deploy/rbac.yaml and bind the Role to your user (then: kubectl auth can-i --list -n ${c.namespace})`,
    };
  } catch (error) {
    const e = error as SparkError;
    return { id: 'kube-permissions', title, status: 'warn', blocking: false, detail: `could not check: ${e.message}`, fix: e.hint };
  }
}

async function checkCliConfigSecret(c: KubeClient, timeoutMs: number): Promise<CheckResult> {
  const title = `Secret ${CLI_CONFIG_SECRET} exists`;
  try {
    const secret = await c.find<k8s.V1Secret>({ verb: 'get', resource: 'secrets', name: CLI_CONFIG_SECRET }, c.path(undefined, 'secrets', CLI_CONFIG_SECRET), { timeoutMs });
    if (secret) return { id: 'kube-cli-config', title, status: 'ok', detail: `keys: ${Object.keys(secret.data ?? {}).sort().join(', ') || 'none'}` };
    return {
      id: 'kube-cli-config',
      title,
      status: 'warn',
      blocking: false,
      detail: 'not found: settings must come from the environment or the config file',
      fix: `cp deploy/secret.yaml.template deploy/secret.yaml, fill it in, kubectl apply -f deploy/secret.yaml (spark admin setup-db also writes the password there)`,
    };
  } catch (error) {
    const e = error as SparkError;
    return { id: 'kube-cli-config', title, status: 'warn', blocking: false, detail: e.message, fix: e.hint };
  }
}

/** Cheap and needs no permission: the operator installs the tailscale.com API group (ProxyClass, Connector). */
async function checkTailscale(c: KubeClient, timeoutMs: number): Promise<CheckResult> {
  const title = 'Tailscale operator is installed';
  try {
    const groups = await c.get<k8s.V1APIGroupList>({ verb: 'get', resource: 'apis', clusterScoped: true }, '/apis', undefined, { timeoutMs });
    if (groups.groups.some((g) => g.name === 'tailscale.com')) return { id: 'tailscale-operator', title, status: 'ok', detail: 'API group tailscale.com is served' };
    return {
      id: 'tailscale-operator',
      title,
      status: 'warn',
      blocking: false,
      detail: 'the tailscale.com API group is missing: sparks will not get a tailnet address',
      fix: `Install the Tailscale Kubernetes operator: ${TAILSCALE_DOCS}`,
    };
  } catch (error) {
    const e = error as SparkError;
    return { id: 'tailscale-operator', title, status: 'warn', blocking: false, detail: e.message, fix: e.hint };
  }
}