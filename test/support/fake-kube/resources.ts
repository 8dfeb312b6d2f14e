/**
 * The resources the fake API server serves: one table drives discovery, URL routing, defaulting,
 * field-selector support and the printed table columns.
 */

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceDef {
  /** Plural, lower case: the URL segment (`deployments`). */
  plural: string;
  singular: string;
  kind: string;
  /** '' for the core group. */
  group: string;
  version: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: Verb[];
  /** Writes to the main resource keep `status`; only `/status` writes change it. */
  hasStatus: boolean;
  /** metadata.generation follows spec changes. */
  hasGeneration: boolean;
  /** Field selector labels beyond metadata.name and metadata.namespace (as the real API server allows). */
  fields: string[];
  categories?: string[];
}

const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCES: ResourceDef[] = [
  {
    plural: 'namespaces', singular: 'namespace', kind: 'Namespace', group: '', version: 'v1', namespaced: false,
    shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    hasStatus: true, hasGeneration: false, fields: ['status.phase'],
  },
  {
    plural: 'pods', singular: 'pod', kind: 'Pod', group: '', version: 'v1', namespaced: true, shortNames: ['po'],
    verbs: ALL_VERBS, hasStatus: true, hasGeneration: false, categories: ['all'],
    fields: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  },
  {
    plural: 'services', singular: 'service', kind: 'Service', group: '', version: 'v1', namespaced: true, shortNames: ['svc'],
    verbs: ALL_VERBS, hasStatus: true, hasGeneration: false, categories: ['all'], fields: [],
  },
  {
    plural: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', kind: 'PersistentVolumeClaim', group: '', version: 'v1',
    namespaced: true, shortNames: ['pvc'], verbs: ALL_VERBS, hasStatus: true, hasGeneration: false, fields: [],
  },
  {
    plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', group: '', version: 'v1', namespaced: true, shortNames: ['cm'],
    verbs: ALL_VERBS, hasStatus: false, hasGeneration: false, fields: [],
  },
  {
    plural: 'secrets', singular: 'secret', kind: 'Secret', group: '', version: 'v1', namespaced: true, shortNames: [],
    verbs: ALL_VERBS, hasStatus: false, hasGeneration: false, fields: ['type'],
  },
  {
    plural: 'events', singular: 'event', kind: 'Event', group: '', version: 'v1', namespaced: true, shortNames: ['ev'],
    verbs: ALL_VERBS, hasStatus: false, hasGeneration: false,
    fields: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  },
  {
    plural: 'deployments', singular: 'deployment', kind: 'Deployment', group: 'apps', version: 'v1', namespaced: true,
    shortNames: ['deploy'], verbs: ALL_VERBS, hasStatus: true, hasGeneration: true, categories: ['all'], fields: [],
  },
  {
    plural: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', group: 'apps', version: 'v1', namespaced: true,
    shortNames: ['rs'], verbs: ALL_VERBS, hasStatus: true, hasGeneration: true, categories: ['all'], fields: ['status.replicas'],
  },
];

/** Non-storage resources: only `create`, answered from the request (access reviews). */
export const REVIEW_RESOURCES = [
  { plural: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview', group: 'authorization.k8s.io', version: 'v1' },
] as const;

export const GROUP_VERSIONS = ['v1', 'apps/v1', 'authorization.k8s.io/v1'] as const;

export function apiVersionOf(def: { group: string; version: string }): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** `deployments.apps`, `pods` — how the API server names a resource in messages. */
export function qualifiedName(def: { plural: string; group: string }): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function resourceForKind(kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.kind === kind);
}

/** Resource by plural name only (the names counters and controls use). */
export function resourceByPlural(plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.plural === plural);
}
