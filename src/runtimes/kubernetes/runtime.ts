/**
 * The cluster adapter: the Runtime port (src/core/ports.ts) on a Kubernetes cluster. The objects
 * themselves come from manifests.ts (pure); this file only talks to the API server.
 */
import type {
  CheckResult,
  DeleteReport,
  InFlight,
  ObjectPresence,
  OnProgress,
  Runtime,
  RuntimeCapabilities,
  RuntimeSpark,
  RuntimeStatus,
  ShellInvocation,
  SparkSpec,
  WaitOptions,
} from '../../core/ports.js';
import { parseMark, stillInFlight } from '../../core/inflight.js';
import { SparkError } from '../../errors.js';
import { registerSecret } from '../../redact.js';
import { METADATA_ONLY, openKubeClient, resourcePath, type ClusterSettings, type k8s, type KubeClient, type ListOf, type RequestOptions } from './client.js';
import type { KubeOperation } from './errors.js';
import {
  ALL_SPARKS_SELECTOR,
  ANNOTATION_CREATED_AT,
  ANNOTATION_CREATING,
  ANNOTATION_EXPIRES_AT,
  ANNOTATION_REPO,
  APP,
  CLI_CONFIG_SECRET,
  FIELD_MANAGER,
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
import { cloneDecision } from './clone.js';
import { CONFIGMAP_KEYS, manifestOptionsFromConfig, sparkManifests, withOwner, type ConfigReader, type ManifestOptions, type SparkObject } from './manifests.js';
import { expiryOf, kubernetesExpiry } from './expiry.js';
import { observeCapabilities } from './observe.js';
import { accessChecks, describeAccess } from './permissions.js';
import { currentPod, eventTime, restartsOf } from './pods.js';
import { follow, millis, podVerdict, waitForPod } from './readiness.js';
import { sleepingSince, wokenAt, withSleep } from './sleep.js';
import { withSshAddress } from './ssh-address.js';

export interface KubernetesRuntimeOptions {
  manifests: ManifestOptions;
  /** SPARK_SSH: the SSH program, possibly with leading arguments (e.g. "tailscale ssh"). */
  ssh?: string;
  /** How long delete waits for objects to be gone (finalizers) before reporting them. Default 60 s. */
  deleteWaitMs?: number;
}

/** The five kinds of a spark, each with the calls spark makes on it. */
type KindName = 'Deployment' | 'Service' | 'PersistentVolumeClaim' | 'ConfigMap' | 'Secret';

interface Meta {
  metadata?: k8s.V1ObjectMeta;
}

interface KindOps {
  kind: KindName;
  resource: string;
  group: string;
  nameFor(spark: string): string;
}

const DELETE = { propagationPolicy: 'Background' } as const;
const APPLY = { fieldManager: FIELD_MANAGER, force: true } as const;

const KINDS: Record<KindName, KindOps> = {
  Deployment: { kind: 'Deployment', resource: 'deployments', group: 'apps', nameFor: deploymentName },
  Service: { kind: 'Service', resource: 'services', group: '', nameFor: serviceName },
  PersistentVolumeClaim: { kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', group: '', nameFor: pvcName },
  ConfigMap: { kind: 'ConfigMap', resource: 'configmaps', group: '', nameFor: configMapName },
  Secret: { kind: 'Secret', resource: 'secrets', group: '', nameFor: secretName },
};

/** The REST calls spark makes on each kind. */
const objPath = (c: KubeClient, k: KindOps, name?: string): string => c.path(k.group || undefined, k.resource, name);
const kindOps = {
  list: (c: KubeClient, k: KindOps, query: { labelSelector?: string; fieldSelector?: string }, request: RequestOptions = {}) =>
    c.get<ListOf<Meta>>(op(k, 'list'), objPath(c, k), query, request),
  read: <T extends Meta = Meta>(c: KubeClient, k: KindOps, name: string, request: RequestOptions = {}) => c.find<T>(op(k, 'get', name), objPath(c, k, name), request),
  remove: (c: KubeClient, k: KindOps, name: string) => c.send(op(k, 'delete', name), 'DELETE', objPath(c, k, name), undefined, {}, DELETE),
  apply: (c: KubeClient, k: KindOps, name: string, body: object, request: RequestOptions) =>
    c.send<Meta>(op(k, 'patch', name), 'PATCH', objPath(c, k, name), body, { ...request, contentType: SERVER_SIDE_APPLY }, APPLY),
};

/** Deployment first: its pod releases the home volume, whose deletion waits for that. */
const DELETE_ORDER: KindName[] = ['Deployment', 'Service', 'PersistentVolumeClaim', 'Secret', 'ConfigMap'];

const op = (k: KindOps, verb: KubeOperation['verb'], name?: string): KubeOperation => ({ verb, resource: k.resource, group: k.group || undefined, name });

const SERVER_SIDE_APPLY = 'application/apply-patch+yaml';

/** Beyond this many names a selector makes URLs that proxies in front of API servers may refuse. */
const SELECTOR_NAMES_MAX = 100;

/** The collection of a kind in the namespace, e.g. /apis/apps/v1/namespaces/spark/deployments. */
const collectionPath = (k: { group: string; resource: string }, namespace: string): string =>
  `${k.group ? `/apis/${k.group}/v1` : '/api/v1'}/namespaces/${encodeURIComponent(namespace)}/${k.resource}`;

/** The metadata a spark's objects are joined and judged by (no managedFields, which are most of it). */
interface Brief {
  metadata?: Pick<k8s.V1ObjectMeta, 'name' | 'labels' | 'annotations' | 'creationTimestamp' | 'deletionTimestamp'>;
}

/** What the cluster holds of one spark, gathered by one LIST per kind (or GETs by name). */
interface SparkObjects {
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
  deployment: (d: k8s.V1Deployment): NonNullable<SparkObjects['deployment']> => ({ ...brief(d), spec: { replicas: d.spec?.replicas }, status: { readyReplicas: d.status?.readyReplicas } }),
  service: (s: k8s.V1Service): NonNullable<SparkObjects['service']> => ({ ...brief(s), status: s.status }),
  pvc: (p: k8s.V1PersistentVolumeClaim): NonNullable<SparkObjects['pvc']> => ({ ...brief(p), status: { phase: p.status?.phase } }),
  configMap: (cm: k8s.V1ConfigMap): NonNullable<SparkObjects['configMap']> => brief(cm),
  pod: (p: k8s.V1Pod): k8s.V1Pod => ({ ...brief(p), spec: { containers: (p.spec?.containers ?? []).map(({ name, image }) => ({ name, image })) }, status: p.status }),
};

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

const TAILSCALE_DOCS = 'https://tailscale.com/kb/1236/kubernetes-operator';

export class KubernetesRuntime implements Runtime {
  readonly kind = 'kubernetes' as const;
  readonly capabilities: RuntimeCapabilities = {
    ...withSshAddress(withSleep(observeCapabilities(() => ({ client: this.client, ssh: this.options.ssh })), () => this.client), () => this.client),
    expiry: kubernetesExpiry(() => this.client),
  };
  private readonly deleteWaitMs: number;

  constructor(
    readonly client: KubeClient,
    private readonly options: KubernetesRuntimeOptions,
  ) {
    this.deleteWaitMs = options.deleteWaitMs ?? 60_000;
  }

  private get namespace(): string {
    return this.client.namespace;
  }

  private manifests(spec: SparkSpec) {
    return sparkManifests(spec, { ...this.options.manifests, namespace: this.namespace });
  }

  // -- create ---------------------------------------------------------------------------------

  async claim(spec: SparkSpec): Promise<void> {
    const { configMap } = this.manifests(spec);
    const cm = KINDS.ConfigMap;
    try {
      await this.client.send(op(cm, 'create', configMap.metadata?.name), 'POST', objPath(this.client, cm), configMap, {}, { fieldManager: FIELD_MANAGER });
    } catch (error) {
      if (error instanceof SparkError && error.code === 'KUBE_ALREADY_EXISTS') {
        throw new SparkError(`A spark named "${spec.name}" already exists in namespace ${this.namespace}.`, {
          hint: `Choose another name, or remove the old one first: spark delete ${spec.name}`,
          code: 'NAME_TAKEN',
          cause: error,
        });
      }
      throw error;
    }
  }

  async create(spec: SparkSpec, options: { onProgress?: OnProgress; signal?: AbortSignal } = {}): Promise<void> {
    const progress = options.onProgress ?? (() => {});
    const request: RequestOptions = { signal: options.signal };
    const m = this.manifests(spec.from ? await this.cloneable(spec, request, progress) : spec);
    // The root first: its uid is what the others' ownerReferences point at.
    const root = await this.apply(m.configMap, request, progress);
    const uid = root.metadata?.uid;
    if (!uid) throw new SparkError(`The API server returned ConfigMap ${configMapName(spec.name)} without a uid.`, { code: 'KUBE_API_ERROR' });
    // The Deployment last: its pod would otherwise meet a missing Secret or claim and report a
    // CreateContainerConfigError that readiness rightly treats as fatal.
    await Promise.all([m.secret, m.pvc, m.service].map((obj) => this.apply(withOwner(obj, uid), request, progress)));
    await this.apply(withOwner(m.deployment, uid), request, progress);
  }

  /** A fork's spec, without its source when the home volume cannot be a clone (then a fresh home, said in the progress). */
  private async cloneable(spec: SparkSpec, request: RequestOptions, progress: OnProgress): Promise<SparkSpec> {
    const c = this.client;
    const k = KINDS.PersistentVolumeClaim;
    const source = await kindOps.read<k8s.V1PersistentVolumeClaim>(c, k, k.nameFor(spec.from!), request);
    const decision = cloneDecision(source, this.options.manifests.storageClass);
    if (decision.clone) {
      progress({ step: 'Home volume', detail: `a clone of ${pvcName(spec.from!)}` });
      return spec;
    }
    progress({ step: 'Home volume', detail: `fresh, not a copy of ${spec.from}'s: ${decision.why}` });
    return { ...spec, from: undefined };
  }

  /** Server-side apply (field manager `spark`, force): creates or converges one object. */
  private async apply(obj: SparkObject, request: RequestOptions, progress: OnProgress): Promise<Meta> {
    const kind = KINDS[obj.kind as KindName];
    const name = obj.metadata?.name ?? '';
    if (request.signal?.aborted) throw new SparkError('Interrupted.', { code: 'INTERRUPTED' });
    progress({ step: 'Creating the cluster objects', detail: `${kind.kind} ${name}` });
    return kindOps.apply(this.client, kind, name, obj, request);
  }

  async creating(name: string): Promise<InFlight | undefined> {
    const c = this.client;
    const cm = KINDS.ConfigMap;
    const root = await kindOps.read(c, cm, cm.nameFor(name));
    const mark = parseMark(root?.metadata?.annotations?.[ANNOTATION_CREATING]);
    return stillInFlight(mark) ? mark : undefined;
  }

  async markCreated(name: string): Promise<void> {
    const c = this.client;
    const cm = KINDS.ConfigMap;
    const body = { metadata: { annotations: { [ANNOTATION_CREATING]: null } } };
    await c.send(op(cm, 'patch', cm.nameFor(name)), 'PATCH', objPath(c, cm, cm.nameFor(name)), body, { contentType: 'application/merge-patch+json' });
  }

  /** Watches the root ConfigMap; a watch that fails just waits for the signal (it proves nothing gone). */
  async claimGone(name: string, signal: AbortSignal): Promise<void> {
    const still = await this.waitGone(KINDS.ConfigMap, configMapName(name), signal);
    if (still && !signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  }

  /** The database named by the spark's Secret's DATABASE_URL (how Go-CLI sparks, whose databases carry no tag, name theirs). */
  async databaseOf(name: string): Promise<string | undefined> {
    const c = this.client;
    const k = KINDS.Secret;
    const secret = await kindOps.read<k8s.V1Secret>(c, k, k.nameFor(name));
    const encoded = secret?.data?.DATABASE_URL;
    if (!encoded) return undefined;
    const url = Buffer.from(encoded, 'base64').toString('utf8');
    try {
      const parsed = new URL(url);
      registerSecret(decodeURIComponent(parsed.password));
      return decodeURIComponent(parsed.pathname.slice(1)) || undefined;
    } catch {
      return undefined;
    }
  }

  async waitReady(name: string, options: WaitOptions): Promise<RuntimeSpark> {
    await waitForPod(this.client, name, options);
    const objects = await this.collect(name, { signal: options.signal });
    return summarize(objects, this.namespace);
  }

  // -- read -----------------------------------------------------------------------------------

  /** One LIST per kind for every spark, whatever their number. */
  async list(): Promise<RuntimeSpark[]> {
    const groups = await this.gather();
    return [...groups.values()].map((g) => summarize(g, this.namespace)).sort((a, b) => a.name.localeCompare(b.name));
  }

  private async gather(): Promise<Map<string, SparkObjects>> {
    const c = this.client;
    const listOf = <T>(k: { group: string; resource: string }, keep: (item: never) => T, labelSelector = ALL_SPARKS_SELECTOR, accept?: string) =>
      c.list({ verb: 'list', resource: k.resource, group: k.group || undefined }, collectionPath(k, c.namespace), { labelSelector }, keep, { accept });
    const [deployments, services, pvcs, configMaps] = await Promise.all([
      listOf(KINDS.Deployment, KEEP.deployment),
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
    for (const d of deployments) {
      const g = group(d);
      if (g && d.metadata?.name === deploymentName(g.name)) g.deployment = d;
    }
    for (const s of services) {
      const g = group(s);
      if (g && s.metadata?.name === serviceName(g.name)) g.service = s;
    }
    for (const p of pvcs) {
      const g = group(p);
      if (g && p.metadata?.name === pvcName(g.name)) g.pvc = p;
    }
    for (const cm of configMaps) {
      const g = group(cm);
      if (g && cm.metadata?.name === configMapName(g.name)) g.configMap = cm;
    }
    // Pods alone do not make a spark (a deleted spark's pod may still be terminating).
    for (const pod of pods) groups.get(sparkNameOf(pod.metadata?.labels) ?? '')?.pods.push(pod);
    return groups;
  }

  /** The objects of one spark by name (Go-CLI objects may lack some labels), and its pods by label. */
  private async collect(name: string, request: RequestOptions = {}): Promise<SparkObjects & { secret?: Meta }> {
    const c = this.client;
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

  async exists(name: string): Promise<boolean> {
    const c = this.client;
    const found = await Promise.all(DELETE_ORDER.map((kind) => KINDS[kind]).map((k) => kindOps.read(c, k, k.nameFor(name))));
    return found.some((o) => o !== undefined);
  }

  async status(name: string): Promise<RuntimeStatus | undefined> {
    const objects = await this.collect(name);
    const { deployment, service, pvc, configMap, secret, pods } = objects;
    if (!deployment && !service && !pvc && !configMap && !secret && pods.length === 0) return undefined;
    const spark = summarize(objects, this.namespace);
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
    const events = await this.eventsFor([pod?.metadata?.name, deploymentName(name), pvcName(name), serviceName(name)].filter((n): n is string => Boolean(n)));
    const status: RuntimeStatus = { ...spark, objects: presence, events };
    if (pod) {
      status.phase = pod.metadata?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Pending');
      status.restarts = restartsOf(pod);
    }
    return status;
  }

  /** The last events about these objects (one LIST per object, by involvedObject.name). */
  private async eventsFor(names: string[]): Promise<RuntimeStatus['events']> {
    const c = this.client;
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

  // -- delete ---------------------------------------------------------------------------------

  /**
   * Remove every object of the spark, found by name and by label (so partial leftovers and Go-CLI
   * sparks go too); a missing object is success. Waits, bounded, for the objects to be gone; what
   * is still there afterwards (a finalizer nobody removes) is reported in `left` with its fix.
   */
  async delete(name: string): Promise<DeleteReport> {
    const c = this.client;
    const report: DeleteReport = { removed: [], left: [] };
    const deadline = AbortSignal.timeout(this.deleteWaitMs);
    const found = await Promise.all(
      DELETE_ORDER.map(async (kindName) => {
        const k = KINDS[kindName];
        const labelled = await kindOps.list(c, k, { labelSelector: sparkSelector(name) });
        const listed = labelled.items.map((o) => o.metadata?.name).filter((n): n is string => Boolean(n));
        return { k, listed, names: [...new Set([k.nameFor(name), ...listed])] };
      }),
    );
    const attempts = found.flatMap(({ k, listed, names }) => names.map((n) => ({ k, name: n, listed: listed.includes(n) })));
    // One object that cannot be deleted (a 403 on one kind) must not keep the others.
    const results = await Promise.all(
      attempts.map(async ({ k, name: n }): Promise<'deleted' | 'absent' | SparkError> => {
        try {
          await kindOps.remove(c, k, n);
          return 'deleted';
        } catch (error) {
          if (error instanceof SparkError && error.code === 'KUBE_NOT_FOUND') return 'absent';
          if (error instanceof SparkError && error.code !== 'INTERRUPTED') return error;
          throw error;
        }
      }),
    );
    attempts.forEach(({ k, name: n }, i) => {
      const r = results[i];
      if (r instanceof SparkError) report.left.push(`${k.kind} ${n}: ${r.message}${r.hint ? ` (${r.hint.split('\n')[0]})` : ''}`);
    });
    // Listed, then already gone at its DELETE: the garbage collector took it with its owner (the ConfigMap) first.
    attempts.forEach(({ k, name: n, listed }, i) => {
      if (listed && results[i] === 'absent') report.removed.push(`${k.kind} ${n}`);
    });
    const deleted = attempts.filter((_, i) => results[i] === 'deleted');
    const outcomes = await Promise.all(deleted.map(({ k, name: n }) => this.waitGone(k, n, deadline)));
    deleted.forEach(({ k, name: n }, i) => {
      const still = outcomes[i];
      if (!still) report.removed.push(`${k.kind} ${n}`);
      else report.left.push(this.describeStuck(k, n, still));
    });
    return report;
  }

  /** Resolve undefined once the object is gone, or with the object still there at the deadline. */
  private async waitGone(k: KindOps, name: string, deadline: AbortSignal): Promise<Meta | undefined> {
    const c = this.client;
    const stop = new AbortController();
    const signal = AbortSignal.any([deadline, stop.signal]);
    let last: Meta | undefined;
    let failure: SparkError | undefined;
    const fieldSelector = `metadata.name=${name}`;
    const gone = new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => resolve(), { once: true });
      void follow<Meta>({
        client: c,
        path: `${k.group ? `/apis/${k.group}/v1` : '/api/v1'}/namespaces/${c.namespace}/${k.resource}`,
        operation: op(k, 'watch', name),
        query: { fieldSelector },
        list: async () => {
          const l = await kindOps.list(c, k, { fieldSelector }, { signal });
          return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? '0' };
        },
        onSync: (items) => {
          last = items[0];
          if (!last) stop.abort();
        },
        onEvent: (type, obj) => {
          last = obj;
          if (type === 'DELETED') {
            last = undefined;
            stop.abort();
          }
        },
        onError: (error) => {
          failure = error;
          stop.abort();
        },
        signal,
      });
    });
    await gone;
    if (failure && last === undefined) return { metadata: { name } };
    return last;
  }

  private describeStuck(k: KindOps, name: string, obj: Meta): string {
    const finalizers = obj.metadata?.finalizers ?? [];
    const by = finalizers.length ? ` (finalizers: ${finalizers.join(', ')})` : '';
    const kubectlKind = k.group ? `${k.resource}.${k.group}` : k.resource;
    const inspect = `kubectl -n ${this.namespace} get ${kubectlKind} ${name} -o yaml`;
    const unblock = `kubectl -n ${this.namespace} patch ${kubectlKind} ${name} --type=merge -p '{"metadata":{"finalizers":null}}'`;
    if (k.kind === 'Service' && finalizers.some((f) => f.includes('tailscale'))) {
      return `${k.kind} ${name} is still being deleted${by}: the Tailscale operator has not released it. Check it with: ${inspect} and that the operator runs (kubectl -n tailscale get pods); or remove the finalizer: ${unblock}`;
    }
    if (k.kind === 'PersistentVolumeClaim') {
      return `${k.kind} ${name} is still being deleted${by}: a pod may still use it. Check: kubectl -n ${this.namespace} get pods -l spark-name=${name.replace(/-storage$/, '')}; ${inspect}`;
    }
    return `${k.kind} ${name} is still being deleted${by}. Check it with: ${inspect}${finalizers.length ? `; or remove the finalizers: ${unblock}` : ''}`;
  }

  // -- shell ----------------------------------------------------------------------------------

  /** ssh through the user's own SSH (their ssh config applies): `ssh [-t] -- user@spark-<name> [command…]`. */
  async shell(name: string, command: string[], options: { tty?: boolean } = {}): Promise<ShellInvocation> {
    const [program = 'ssh', ...leading] = (this.options.ssh || 'ssh').trim().split(/\s+/);
    const host = `user@${tailnetHostname(name)}`;
    // `--` ends ssh's options, so a command like `ls -la` is the remote command, not ssh flags.
    // A command gets a terminal only when there is one to give it (as `ssh host cmd` vs `ssh -t`).
    const args = command.length ? [...leading, ...(options.tty ? ['-t'] : []), '--', host, ...remoteWords(command)] : [...leading, '-t', '--', host];
    const connectionHint = [
      `${[program, ...leading].join(' ')} could not reach ${host}. Check:`,
      '- this machine is on the tailnet: tailscale status',
      `- the spark has a tailnet address: spark status ${name} (without MagicDNS, ssh to the full host name it shows)`,
      `- the key at SSH_PUBLIC_KEY_PATH is the one the spark was created with`,
    ].join('\n');
    return { program, args, connectionHint, installHint: 'Install it (e.g. apt-get install openssh-client), or point SPARK_SSH at your SSH program.' };
  }

  // -- checks ---------------------------------------------------------------------------------

  async checks(): Promise<CheckResult[]> {
    const c = this.client;
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
      this.checkNamespace(timeoutMs),
      this.checkPermissions(timeoutMs),
      this.checkCliConfigSecret(timeoutMs),
      this.checkTailscale(timeoutMs),
    ]);
    results.push(namespaceCheck, permissions, secret, tailscale);
    return results;
  }

  private async checkNamespace(timeoutMs: number): Promise<CheckResult> {
    const c = this.client;
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
  private async checkPermissions(timeoutMs: number): Promise<CheckResult> {
    const c = this.client;
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

  private async checkCliConfigSecret(timeoutMs: number): Promise<CheckResult> {
    const c = this.client;
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
  private async checkTailscale(timeoutMs: number): Promise<CheckResult> {
    const c = this.client;
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
}

/** Open the runtime for this configuration: kubeconfig the kubectl way, the namespace, the object options. */
export function openKubernetesRuntime(config: ConfigReader, options: { env?: NodeJS.ProcessEnv; deleteWaitMs?: number } = {}): KubernetesRuntime {
  const settings: ClusterSettings = { KUBECONFIG: config.get('KUBECONFIG'), SPARK_CONTEXT: config.get('SPARK_CONTEXT'), SPARK_NAMESPACE: config.get('SPARK_NAMESPACE') };
  const client = openKubeClient(settings, { env: options.env });
  return new KubernetesRuntime(client, { manifests: manifestOptionsFromConfig(config), ssh: config.get('SPARK_SSH'), deleteWaitMs: options.deleteWaitMs });
}

/**
 * ssh joins its arguments with spaces for the remote shell to parse again, so each word is quoted
 * for it: the spark runs exactly the argv given, as the local runtime does. One word holding
 * spaces is a command line (`spark shell x -- 'psql "$DATABASE_URL" -c "select 1"'`), on both runtimes.
 */
function remoteWords(command: string[]): string[] {
  if (command.length === 1 && /\s/.test(command[0]!)) return command;
  return command.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`));
}
