/**
 * The Kubernetes permissions spark needs, as data: deploy/rbac.yaml grants exactly these (a test
 * keeps the two in agreement), and `spark create --test` / `spark doctor` check them with
 * SelfSubjectAccessReviews (which every authenticated user may create: no grant needed).
 */

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface PermissionRule {
  /** API group: '' for the core group. */
  group: string;
  /** RBAC resource, with the subresource after a slash: 'deployments/scale', 'pods/log'. */
  resource: string;
  verbs: readonly Verb[];
  /** 'namespace': granted by the Role in the spark namespace; 'cluster': by the ClusterRole. */
  scope: 'namespace' | 'cluster';
  /** Restricts the rule to these object names (the ClusterRole's namespace rule). */
  resourceNames?: readonly string[];
  /** What spark does with it, for messages naming a missing permission. */
  why: string;
}

const OBJECT_VERBS: readonly Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

export const SPARK_PERMISSIONS: readonly PermissionRule[] = [
  // Server-side apply is a PATCH, and needs create as well when the object does not exist yet.
  { group: 'apps', resource: 'deployments', verbs: OBJECT_VERBS, scope: 'namespace', why: "create, list and delete sparks' Deployments, and put them to sleep and wake them" },
  { group: 'apps', resource: 'deployments/scale', verbs: ['get', 'update', 'patch'], scope: 'namespace', why: 'stop and start sparks (scale to 0 and back)' },
  { group: '', resource: 'services', verbs: OBJECT_VERBS, scope: 'namespace', why: "create sparks' SSH Services and read their tailnet hostnames" },
  { group: '', resource: 'persistentvolumeclaims', verbs: OBJECT_VERBS, scope: 'namespace', why: "create and delete sparks' home volumes" },
  { group: '', resource: 'configmaps', verbs: OBJECT_VERBS, scope: 'namespace', why: "claim a spark's name and hold its init script and keys" },
  { group: '', resource: 'secrets', verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'], scope: 'namespace', why: "hold sparks' credentials and read/update spark-cli-config" },
  { group: '', resource: 'pods', verbs: ['get', 'list', 'watch', 'delete'], scope: 'namespace', why: 'wait for a spark to be ready, and restart it' },
  { group: '', resource: 'pods/log', verbs: ['get'], scope: 'namespace', why: "show a spark's logs" },
  { group: '', resource: 'events', verbs: ['get', 'list', 'watch'], scope: 'namespace', why: 'explain why a spark does not start' },
  { group: '', resource: 'namespaces', verbs: ['get'], scope: 'cluster', resourceNames: ['spark'], why: 'check that the spark namespace exists' },
];

/** One SelfSubjectAccessReview's resourceAttributes (the subresource split off). */
export interface AccessCheck {
  group: string;
  resource: string;
  subresource?: string;
  verb: Verb;
  namespace?: string;
  name?: string;
}

/**
 * Every (verb, resource) spark needs, for SelfSubjectAccessReviews in `namespace`. The namespace
 * rule is checked for that namespace's name (the ClusterRole in rbac.yaml names `spark`; a
 * different SPARK_NAMESPACE needs its resourceNames edited).
 */
export function accessChecks(namespace: string): AccessCheck[] {
  return SPARK_PERMISSIONS.flatMap((rule) => {
    const [resource = rule.resource, subresource] = rule.resource.split('/');
    return rule.verbs.map((verb): AccessCheck => {
      const check: AccessCheck = { group: rule.group, resource, verb };
      if (subresource) check.subresource = subresource;
      if (rule.scope === 'namespace') check.namespace = namespace;
      else if (rule.resource === 'namespaces') check.name = namespace;
      return check;
    });
  });
}

/** `kubectl`-style "verb group/resource" for messages: `patch deployments.apps`, `get pods/log`. */
export function describeAccess(check: Pick<AccessCheck, 'group' | 'resource' | 'subresource' | 'verb'>): string {
  const resource = check.group ? `${check.resource}.${check.group}` : check.resource;
  return `${check.verb} ${resource}${check.subresource ? `/${check.subresource}` : ''}`;
}

/** The permission rule covering a request, e.g. to name what a 403 lacks. */
export function ruleFor(group: string, resource: string, subresource?: string): PermissionRule | undefined {
  const full = subresource ? `${resource}/${subresource}` : resource;
  return SPARK_PERMISSIONS.find((r) => r.group === group && r.resource === full);
}
