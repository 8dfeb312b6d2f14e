/**
 * The five kinds of object a spark is made of, and the REST calls spark makes on each of them:
 * what create, read and delete share.
 */
import { type k8s, type KubeClient, type ListOf, type RequestOptions } from './client.js';
import type { KubeOperation } from './errors.js';
import { configMapName, deploymentName, FIELD_MANAGER, pvcName, secretName, serviceName } from './labels.js';

/** The five kinds of a spark, each with the calls spark makes on it. */
export type KindName = 'Deployment' | 'Service' | 'PersistentVolumeClaim' | 'ConfigMap' | 'Secret';

export interface Meta {
  metadata?: k8s.V1ObjectMeta;
}

export interface KindOps {
  kind: KindName;
  resource: string;
  group: string;
  nameFor(spark: string): string;
}

const DELETE = { propagationPolicy: 'Background' } as const;
const APPLY = { fieldManager: FIELD_MANAGER, force: true } as const;

export const KINDS: Record<KindName, KindOps> = {
  Deployment: { kind: 'Deployment', resource: 'deployments', group: 'apps', nameFor: deploymentName },
  Service: { kind: 'Service', resource: 'services', group: '', nameFor: serviceName },
  PersistentVolumeClaim: { kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', group: '', nameFor: pvcName },
  ConfigMap: { kind: 'ConfigMap', resource: 'configmaps', group: '', nameFor: configMapName },
  Secret: { kind: 'Secret', resource: 'secrets', group: '', nameFor: secretName },
};

/** The REST calls spark makes on each kind. */
export const objPath = (c: KubeClient, k: KindOps, name?: string): string => c.path(k.group || undefined, k.resource, name);
export const kindOps = {
  list: (c: KubeClient, k: KindOps, query: { labelSelector?: string; fieldSelector?: string }, request: RequestOptions = {}) =>
    c.get<ListOf<Meta>>(op(k, 'list'), objPath(c, k), query, request),
  read: <T extends Meta = Meta>(c: KubeClient, k: KindOps, name: string, request: RequestOptions = {}) => c.find<T>(op(k, 'get', name), objPath(c, k, name), request),
  remove: (c: KubeClient, k: KindOps, name: string) => c.send(op(k, 'delete', name), 'DELETE', objPath(c, k, name), undefined, {}, DELETE),
  apply: (c: KubeClient, k: KindOps, name: string, body: object, request: RequestOptions) =>
    c.send<Meta>(op(k, 'patch', name), 'PATCH', objPath(c, k, name), body, { ...request, contentType: SERVER_SIDE_APPLY }, APPLY),
};

/** Deployment first: its pod releases the home volume, whose deletion waits for that. */
export const DELETE_ORDER: KindName[] = ['Deployment', 'Service', 'PersistentVolumeClaim', 'Secret', 'ConfigMap'];

export const op = (k: KindOps, verb: KubeOperation['verb'], name?: string): KubeOperation => ({ verb, resource: k.resource, group: k.group || undefined, name });

const SERVER_SIDE_APPLY = 'application/apply-patch+yaml';

/** The collection of a kind in the namespace, e.g. /apis/apps/v1/namespaces/spark/deployments. */
export const collectionPath = (k: { group: string; resource: string }, namespace: string): string =>
  `${k.group ? `/apis/${k.group}/v1` : '/api/v1'}/namespaces/${encodeURIComponent(namespace)}/${k.resource}`;
