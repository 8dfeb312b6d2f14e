/**
 * Reading sparks back from the cluster: one LIST per kind for `spark list`, GETs by name for one
 * spark, and the join of those objects into what list and status show (summarize, pure).
 */
import { ordinal } from '../../core/list.js';
import type { ObjectPresence, RuntimeSpark, RuntimeStatus } from '../../core/ports.js';
import { SparkError } from '../../errors.js';
import { isTableItem, METADATA_ONLY, TABLE, type k8s, type KubeClient, type ListOf, type RequestOptions, type TableItem } from './client.js';
import {
  ALL_SPARKS_SELECTOR,
  ANNOTATION_CREATED_AT,
  ANNOTATION_EXPIRES_AT,
  ANNOTATION_REPO,
  APP,
  LABEL_K8S_MANAGED_BY,
  configMapName,
  deploymentName,
  pvcName,
  secretName,
  serviceName,
  sparkNameOf,
  sparkSelector,
  sparksSelector,
  tailnetHostname,
} from './labels.js';
import { CONFIGMAP_KEYS } from './manifests.js';
import { expiryOf } from './expiry.js';
import { collectionPath, DELETE_ORDER, KINDS, kindOps, type KindOps, type Meta } from './objects.js';
import { currentPod, eventTime, restartsOf } from './pods.js';
import { millis, podVerdict } from './readiness.js';
import { sleepingSince, wokenAt } from './sleep.js';

/** Beyond this many names a selector makes URLs that proxies in front of API servers may refuse. */
const SELECTOR_NAMES_MAX = 100;

/** The metadata a spark's objects are joined and judged by (no managedFields, which are most of it). */
interface Brief {
  metadata?: Pick<k8s.V1ObjectMeta, 'name' | 'labels' | 'annotations' | 'creationTimestamp' | 'deletionTimestamp'>;
}

/** What the cluster holds of one spark, gathered by one LIST per kind (or GETs by name). */
export interface SparkObjects {
  name: string;
  deployment?: Brief & { spec?: { replicas?: number }; status?: { readyReplicas?: number } };
  service?: Brief & { status?: k8s.V1ServiceStatus };
  pvc?: Brief & { status?: { phase?: string } };
  configMap?: Brief & { data?: Record<string, string> };
  pods: k8s.V1Pod[];
}

/** Listing keeps of each object only what summarize reads, so a thousand sparks stay small. */
const brief = ({ metadata: m }: Meta): Brief => ({
  metadata: { name: m?.name, labels: m?.labels, annotations: m?.annotations, creationTimestamp: m?.creationTimestamp, deletionTimestamp: m?.deletionTimestamp },
});
const KEEP = {
  deployment: (d: k8s.V1Deployment | TableItem): NonNullable<SparkObjects['deployment']> => (isTableItem(d) ? deploymentRow(d) : { ...brief(d), spec: { replicas: d.spec?.replicas }, status: { readyReplicas: d.status?.readyReplicas } }),
  service: (s: k8s.V1Service): NonNullable<SparkObjects['service']> => ({ ...brief(s), status: s.status }),
  pvc: (p: k8s.V1PersistentVolumeClaim): NonNullable<SparkObjects['pvc']> => ({ ...brief(p), status: { phase: p.status?.phase } }),
  configMap: (cm: k8s.V1ConfigMap): NonNullable<SparkObjects['configMap']> => brief(cm),
  pod: (p: k8s.V1Pod): k8s.V1Pod => ({ ...brief(p), spec: { containers: (p.spec?.containers ?? []).map(({ name, image }) => ({ name, image })) }, status: p.status }),
};

/** A Table the list cannot read (no READY column as the API server prints it, or rows without metadata). */
class UnreadableTable extends Error {}

/**
 * A Deployment from its row of the server's Table: READY is "ready/desired" (the API server prints
 * status.readyReplicas and spec.replicas so), and the row carries the metadata.
 */
function deploymentRow(row: TableItem): NonNullable<SparkObjects['deployment']> {
  const ready = /^(\d+)\/(\d+)$/.exec(String(row.cells.Ready ?? ''));
  if (!ready || !row.metadata) throw new UnreadableTable('the Deployment table has no READY column or no metadata');
  return { ...brief(row), spec: { replicas: Number(ready[2]) }, status: { readyReplicas: Number(ready[1]) } };
}

/** Join the objects of one spark into what `spark list` shows. */
export function summarize(objects: SparkObjects, namespace: string): RuntimeSpark {
  const { name, deployment, service, pvc, configMap } = objects;
  const present = [deployment, service, pvc, configMap].filter((o): o is NonNullable<typeof o> => o !== undefined);
  // Go-CLI sparks carry the two compatibility labels and nothing of spark's own.
  const legacy = !present.some((o) => o.metadata?.labels?.[LABEL_K8S_MANAGED_BY] === APP || o.metadata?.annotations?.[ANNOTATION_CREATED_AT]);
  const annotated = present.find((o) => o.metadata?.annotations?.[ANNOTATION_CREATED_AT]);
  const created = present.map((o) => millis(o.metadata?.creationTimestamp)).filter((t): t is number => t !== undefined);
  const repo = present.map((o) => o.metadata?.annotations?.[ANNOTATION_REPO]).find(Boolean) || configMap?.data?.[CONFIGMAP_KEYS.gitRepo] || undefined;
  const spark: RuntimeSpark = {
    name,
    runtime: 'kubernetes',
    state: 'Starting',
    createdAt: annotated?.metadata?.annotations?.[ANNOTATION_CREATED_AT] ?? (created.length ? new Date(Math.min(...created)).toISOString() : undefined),
    ssh: `ssh user@${tailnetHostname(name)}`,
  };
  if (repo) spark.repo = repo;
  const host = service?.status?.loadBalancer?.ingress?.[0]?.hostname;
  if (host) spark.host = host;
  if (legacy) spark.legacy = true;
  const expiresAt = expiryOf(deployment?.metadata?.annotations?.[ANNOTATION_EXPIRES_AT]);
  if (expiresAt) spark.expiresAt = expiresAt;
  const woken = wokenAt(deployment?.metadata?.annotations);
  if (woken) spark.wokenAt = woken;

  // Sparks made by this CLI have all four listed objects; Go-CLI sparks may lack all but the Deployment.
  const missing = (
    [
      ['Deployment', deployment],
      ['Service', service],
      ['PersistentVolumeClaim', pvc],
      ['ConfigMap', configMap],
    ] as const
  )
    .filter(([kind, o]) => !o && (!legacy || kind === 'Deployment'))
    .map(([kind]) => kind);
  if (missing.length) {
    spark.state = 'Incomplete';
    spark.reason = `missing ${missing.join(', ')} (an interrupted create or delete)`;
    return spark;
  }
  if (deployment?.spec?.replicas === 0) {
    // Scaled to 0: put to sleep (`spark sleep`, which notes since when) or by hand (no time known).
    spark.state = 'Sleeping';
    const since = sleepingSince(deployment.metadata?.annotations);
    if (since) spark.sleepingSince = since;
    return spark;
  }
  const pod = currentPod(objects.pods);
  if (!pod) {
    // Listing fetches pods only where the Deployment is not ready: a ready one says enough.
    if ((deployment?.status?.readyReplicas ?? 0) > 0) spark.state = 'Running';
    else spark.reason = 'no pod yet';
    return spark;
  }
  const verdict = podVerdict(pod, { sparkName: name, namespace, volumePending: pvc?.status?.phase === 'Pending' });
  if (verdict.kind === 'ready') spark.state = 'Running';
  else if (verdict.kind === 'fatal') {
    spark.state = 'Failed';
    spark.reason = verdict.reason;
  } else spark.reason = verdict.detail;
  return spark;
}

/** One LIST per kind for every spark, whatever their number. */
export async function listSparks(c: KubeClient): Promise<RuntimeSpark[]> {
  const groups = await gather(c);
  return [...groups.values()].map((g) => summarize(g, c.namespace)).sort((a, b) => ordinal(a.name, b.name));
}

async function gather(c: KubeClient): Promise<Map<string, SparkObjects>> {
  const listOf = <T>(k: { group: string; resource: string }, keep: (item: never) => T, labelSelector = ALL_SPARKS_SELECTOR, accept?: string, includeObject?: string) =>
    c.list({ verb: 'list', resource: k.resource, group: k.group || undefined }, collectionPath(k, c.namespace), { labelSelector, includeObject }, keep, { accept });
  const [deployments, services, pvcs, configMaps] = await Promise.all([
    // The largest list: as a Table its rows carry metadata and READY, not pod templates and status.
    // A server that answers a plain list is read as one; a table this cannot read, asked again plain.
    listOf(KINDS.Deployment, KEEP.deployment, ALL_SPARKS_SELECTOR, TABLE, 'Metadata').catch((error: unknown) => {
      if (error instanceof UnreadableTable) return listOf(KINDS.Deployment, KEEP.deployment);
      throw error;
    }),
    listOf(KINDS.Service, KEEP.service),
    listOf(KINDS.PersistentVolumeClaim, KEEP.pvc),
    // Only their presence and annotations matter here, not the init script each one carries.
    listOf(KINDS.ConfigMap, KEEP.configMap, ALL_SPARKS_SELECTOR, METADATA_ONLY),
  ]);
  // Pods, the largest list by far, only explain sparks that are not ready.
  const unready = deployments.filter((d) => d.spec?.replicas !== 0 && !d.status?.readyReplicas).map((d) => sparkNameOf(d.metadata?.labels) ?? '').filter(Boolean);
  const pods = unready.length === 0 ? [] : await listOf({ group: '', resource: 'pods' }, KEEP.pod, unready.length <= SELECTOR_NAMES_MAX ? sparksSelector(unready) : ALL_SPARKS_SELECTOR);
  const groups = new Map<string, SparkObjects>();
  const group = (o: Brief): SparkObjects | undefined => {
    const name = sparkNameOf(o.metadata?.labels);
    if (!name) return undefined;
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, pods: [] }));
    return g;
  };
  // Each object joins its spark's group only under the name spark gives that kind.
  const join = <K extends 'deployment' | 'service' | 'pvc' | 'configMap'>(items: Array<NonNullable<SparkObjects[K]>>, key: K, nameFor: (spark: string) => string): void => {
    for (const o of items) {
      const g = group(o);
      if (g && o.metadata?.name === nameFor(g.name)) g[key] = o as SparkObjects[K];
    }
  };
  join(deployments, 'deployment', deploymentName);
  join(services, 'service', serviceName);
  join(pvcs, 'pvc', pvcName);
  join(configMaps, 'configMap', configMapName);
  // Pods alone do not make a spark (a deleted spark's pod may still be terminating).
  for (const pod of pods) groups.get(sparkNameOf(pod.metadata?.labels) ?? '')?.pods.push(pod);
  return groups;
}

/** The objects of one spark by name (Go-CLI objects may lack some labels), and its pods by label. */
export async function collect(c: KubeClient, name: string, request: RequestOptions = {}): Promise<SparkObjects & { secret?: Meta }> {
  const get = <T extends Meta>(k: KindOps): Promise<T | undefined> => kindOps.read<T>(c, k, k.nameFor(name), request);
  const [deployment, service, pvc, configMap, secret, pods] = await Promise.all([
    get<k8s.V1Deployment>(KINDS.Deployment),
    get<k8s.V1Service>(KINDS.Service),
    get<k8s.V1PersistentVolumeClaim>(KINDS.PersistentVolumeClaim),
    get<k8s.V1ConfigMap>(KINDS.ConfigMap),
    get<Meta>(KINDS.Secret),
    c.get<ListOf<k8s.V1Pod>>({ verb: 'list', resource: 'pods' }, c.path(undefined, 'pods'), { labelSelector: sparkSelector(name) }, request).then((l) => l.items),
  ]);
  return { name, deployment, service, pvc, configMap, secret, pods };
}

/** Any of the spark's objects, by name. */
export async function sparkExists(c: KubeClient, name: string): Promise<boolean> {
  const found = await Promise.all(DELETE_ORDER.map((kind) => KINDS[kind]).map((k) => kindOps.read(c, k, k.nameFor(name))));
  return found.some((o) => o !== undefined);
}

export async function sparkStatus(c: KubeClient, name: string): Promise<RuntimeStatus | undefined> {
  const objects = await collect(c, name);
  const { deployment, service, pvc, configMap, secret, pods } = objects;
  if (!deployment && !service && !pvc && !configMap && !secret && pods.length === 0) return undefined;
  const spark = summarize(objects, c.namespace);
  const presence: ObjectPresence[] = [
    { kind: 'Deployment', name: deploymentName(name), exists: Boolean(deployment) },
    { kind: 'Service', name: serviceName(name), exists: Boolean(service) },
    { kind: 'PersistentVolumeClaim', name: pvcName(name), exists: Boolean(pvc) },
    { kind: 'ConfigMap', name: configMapName(name), exists: Boolean(configMap) },
    { kind: 'Secret', name: secretName(name), exists: Boolean(secret) },
  ];
  const pod = currentPod(pods);
  if (!secret && !spark.legacy && spark.state !== 'Incomplete') {
    spark.state = 'Incomplete';
    spark.reason = 'missing Secret (an interrupted create or delete)';
  }
  const events = await eventsFor(c, [pod?.metadata?.name, deploymentName(name), pvcName(name), serviceName(name)].filter((n): n is string => Boolean(n)));
  const status: RuntimeStatus = { ...spark, objects: presence, events };
  if (pod) {
    status.phase = pod.metadata?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Pending');
    status.restarts = restartsOf(pod);
  }
  return status;
}

/** The last events about these objects (one LIST per object, by involvedObject.name). */
async function eventsFor(c: KubeClient, names: string[]): Promise<RuntimeStatus['events']> {
  const lists = await Promise.all(
    names.map((n) =>
      c
        .get<ListOf<k8s.CoreV1Event>>({ verb: 'list', resource: 'events' }, c.path(undefined, 'events'), { fieldSelector: `involvedObject.name=${n}` })
        .then((l) => l.items)
        .catch((error: unknown) => {
          // Events explain; they are not essential. A cluster that hides them still shows the rest.
          if (error instanceof SparkError && error.code === 'KUBE_FORBIDDEN') return [];
          throw error;
        }),
    ),
  );
  const time = (e: k8s.CoreV1Event): number => eventTime(e) ?? 0;
  return lists
    .flat()
    .sort((a, b) => time(a) - time(b))
    .slice(-10)
    .map((e) => {
      const at = time(e);
      return { type: e.type ?? 'Normal', reason: e.reason ?? '', message: e.message ?? '', ...(at ? { at: new Date(at).toISOString() } : {}) };
    });
}