/**
 * The cluster's moving parts, in miniature: the deployment and replica-set controllers, a scheduler
 * and kubelet that bring pods to Running/Ready (or to the failures tests ask for), a volume
 * provisioner, and the Tailscale operator (hostname in the Service status, and its finalizer).
 *
 * Every store change marks the objects it concerns dirty; one reconcile pass per tick handles them.
 * Writes are idempotent (unchanged status is not written), so passes converge.
 */
import { randomBytes } from 'node:crypto';
import type { ObjectApi } from './api.js';
import { randomSuffix, shortHash, timestamp } from './defaults.js';
import { canonical, clone, isObject, type JsonObject } from './patch.js';
import { resourceByPlural, type ResourceDef } from './resources.js';
import type { Change, KubeObject, OwnerReference, Store } from './store.js';

/** NotReady: the container runs but its readiness probe fails (sshd not answering yet). */
export type PodFailure = 'ErrImagePull' | 'ImagePullBackOff' | 'CrashLoopBackOff' | 'CreateContainerConfigError' | 'Unschedulable' | 'NotReady';
export type PvcBinding = 'Bound' | 'Pending' | 'ProvisioningFailed';

export interface ControllerSettings {
  /** Time from a pod being scheduled to Running/Ready (and a tailnet hostname appearing); 0 = at once. */
  readyDelayMs: number;
  /** What the provisioner does with new claims. */
  pvcBinding: PvcBinding;
  /** The Tailscale operator writes `<hostname annotation>.<tailnet>` into LoadBalancer status. */
  tailscaleHostnames: boolean;
  tailnet: string;
  /** The operator puts `tailscale.com/finalizer` on its Services and removes it on deletion after `removeAfterMs` (null: never — stuck). */
  tailscaleFinalizer: { enabled: boolean; removeAfterMs: number | null };
  /** How often a crash-looping container restarts. */
  crashIntervalMs: number;
  /** Failures by deployment name (or bare pod name). */
  podFailures: Map<string, PodFailure>;
}

export const TAILSCALE_FINALIZER = 'tailscale.com/finalizer';
const NODE = 'fake-node';

const def = (plural: string): ResourceDef => resourceByPlural(plural) as ResourceDef;
const DEPLOYMENTS = def('deployments');
const REPLICASETS = def('replicasets');
const PODS = def('pods');
const SERVICES = def('services');
const PVCS = def('persistentvolumeclaims');
const EVENTS = def('events');

const o_ = (v: unknown): JsonObject => (isObject(v) ? v : {});
const a_ = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);
const keyOf = (plural: string, o: { metadata: { namespace?: string; name?: string } }): string => `${plural}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** Drop zero counts, as the API server's omitempty does. */
function omitZero(status: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(status).filter(([, v]) => v !== 0 && v !== undefined));
}

/** Keep the timestamps of conditions that did not change, so re-writing the same status is a no-op. */
function keepTimes(previous: unknown, next: JsonObject[]): JsonObject[] {
  const old = a_(previous);
  return next.map((c) => {
    const before = old.find((p) => p.type === c.type);
    if (!before || before.status !== c.status) return c;
    const same = before.reason === c.reason && before.message === c.message;
    return {
      ...c,
      ...(before.lastTransitionTime ? { lastTransitionTime: before.lastTransitionTime } : {}),
      ...(c.lastUpdateTime && same && before.lastUpdateTime ? { lastUpdateTime: before.lastUpdateTime } : {}),
      ...('lastProbeTime' in c ? { lastProbeTime: before.lastProbeTime ?? null } : {}),
    };
  });
}

function controllerRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

export class Controller {
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private stopped = false;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Pods (by uid) whose containers have started, and Services whose tailnet proxy is up. */
  private readonly started = new Set<string>();
  private readonly emitted = new Set<string>();
  private readonly restarts = new Map<string, number>();
  /** Pods not (yet) Running and Ready, by uid: a claim, ConfigMap or Secret appearing may unblock them. */
  private readonly waiting = new Map<string, string>();
  /** pod-template-hash by deployment uid and generation. */
  private readonly hashes = new Map<string, [number, string]>();
  private readonly unsubscribe: () => void;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly api: ObjectApi,
    private readonly store: Store,
    readonly settings: ControllerSettings,
  ) {
    this.unsubscribe = store.onChange((c) => this.onChange(c));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Reconcile everything (after a setting changed). */
  resync(): void {
    for (const plural of ['persistentvolumeclaims', 'services', 'deployments', 'replicasets', 'pods']) {
      for (const o of this.store.list(def(plural))) this.dirty.add(keyOf(plural, o));
    }
    this.schedule();
  }

  /** Resolves once no reconcile is pending (timers for delayed readiness may still be running). */
  idle(): Promise<void> {
    if (!this.scheduled && this.dirty.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private onChange(change: Change): void {
    const o = change.object;
    const plural = change.def.plural;
    const ns = o.metadata.namespace;
    switch (plural) {
      case 'deployments':
      case 'services':
      case 'persistentvolumeclaims':
        this.dirty.add(keyOf(plural, o));
        if (plural === 'persistentvolumeclaims') this.markPods(ns);
        break;
      case 'replicasets':
        this.dirty.add(keyOf(plural, o));
        this.markOwner(o, 'Deployment');
        break;
      case 'pods': {
        this.dirty.add(keyOf(plural, o));
        const rs = this.markOwner(o, 'ReplicaSet');
        if (rs) this.markOwner(rs, 'Deployment');
        if (change.type === 'DELETED') {
          this.started.delete(o.metadata.uid ?? '');
          this.waiting.delete(o.metadata.uid ?? '');
          this.clearTimer(`ready/${o.metadata.uid ?? ''}`);
          this.clearTimer(`crash/${o.metadata.uid ?? ''}`);
        }
        break;
      }
      case 'configmaps':
      case 'secrets':
        this.markPods(ns);
        break;
      default:
        return;
    }
    this.schedule();
  }

  private markPods(namespace: string | undefined): void {
    for (const key of this.waiting.values()) if (key.startsWith(`pods/${namespace ?? ''}/`)) this.dirty.add(key);
  }

  private markOwner(o: KubeObject, kind: string): KubeObject | undefined {
    const ref = (o.metadata.ownerReferences ?? []).find((r) => r.kind === kind);
    if (!ref) return undefined;
    const plural = kind === 'Deployment' ? 'deployments' : 'replicasets';
    const owner = this.store.get(def(plural), o.metadata.namespace, ref.name);
    if (owner) this.dirty.add(keyOf(plural, owner));
    return owner;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopped) return;
      this.pass();
      if (!this.scheduled && this.dirty.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  private pass(): void {
    const keys = [...this.dirty];
    this.dirty.clear();
    const order = ['persistentvolumeclaims', 'services', 'deployments', 'replicasets', 'pods'];
    keys.sort((a, b) => order.indexOf(a.split('/')[0] ?? '') - order.indexOf(b.split('/')[0] ?? ''));
    for (const k of keys) {
      const [plural, ns, ...rest] = k.split('/');
      const d = def(plural ?? '');
      const o = this.store.get(d, ns || undefined, rest.join('/'));
      if (!o) continue;
      try {
        if (plural === 'persistentvolumeclaims') this.reconcileClaim(o);
        else if (plural === 'services') this.reconcileService(o);
        else if (plural === 'deployments') this.reconcileDeployment(o);
        else if (plural === 'replicasets') this.reconcileReplicaSet(o);
        else if (plural === 'pods') this.reconcilePod(o);
      } catch (error) {
        // A controller write can lose a race with a client (the object went away): the next change retries.
        if (process.env.FAKE_KUBE_DEBUG) console.error('fake-kube controller:', error);
      }
    }
  }

  private later(key: string, ms: number, fn: () => void): void {
    if (this.timers.has(key) || this.stopped) return;
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (!this.stopped) fn();
      }, ms),
    );
  }

  private clearTimer(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  /** Record a core/v1 Event once per (object, reason, message). */
  event(involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const once = `${involved.metadata.uid ?? ''}|${reason}|${message}`;
    if (this.emitted.has(once)) return;
    this.emitted.add(once);
    const now = timestamp();
    this.api.create(EVENTS, involved.metadata.namespace ?? 'default', {
      metadata: { name: `${involved.metadata.name ?? ''}.${randomBytes(8).toString('hex')}`, namespace: involved.metadata.namespace ?? 'default' },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        namespace: involved.metadata.namespace,
        uid: involved.metadata.uid,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component, ...(component === 'kubelet' ? { host: NODE } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? NODE : '',
    });
  }

  // ------------------------------------------------------------------ volumes

  private reconcileClaim(pvc: KubeObject): void {
    if (pvc.metadata.deletionTimestamp || o_(pvc.status).phase === 'Bound') return;
    const spec = o_(pvc.spec);
    const mode = this.settings.pvcBinding;
    if (mode === 'ProvisioningFailed') {
      this.event(pvc, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${String(spec.storageClassName ?? 'standard')}": rpc error: code = ResourceExhausted desc = no space left on the fake disk`, 'fake-provisioner');
      return;
    }
    if (mode !== 'Bound') return;
    const volumeName = `pvc-${pvc.metadata.uid ?? ''}`;
    const bound = this.api.write(PVCS, { ...clone(pvc), spec: { ...spec, volumeName } }, 'kube-controller-manager');
    this.api.writeStatus(
      PVCS,
      bound,
      { phase: 'Bound', accessModes: spec.accessModes ?? ['ReadWriteOnce'], capacity: { storage: o_(o_(spec.resources).requests).storage ?? '1Gi' } },
      'kube-controller-manager',
    );
    this.event(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${volumeName}`, 'fake-provisioner');
  }

  // ------------------------------------------------------------------ the Tailscale operator

  private reconcileService(svc: KubeObject): void {
    const spec = o_(svc.spec);
    if (spec.type !== 'LoadBalancer' || spec.loadBalancerClass !== 'tailscale') return;
    const uid = svc.metadata.uid ?? '';
    const finalizers = svc.metadata.finalizers ?? [];
    const fin = this.settings.tailscaleFinalizer;
    if (svc.metadata.deletionTimestamp) {
      if (!finalizers.includes(TAILSCALE_FINALIZER) || fin.removeAfterMs === null) return;
      this.later(`finalizer/${uid}`, fin.removeAfterMs, () => {
        const current = this.store.get(SERVICES, svc.metadata.namespace, svc.metadata.name ?? '');
        if (!current || current.metadata.uid !== uid) return;
        const next = clone(current);
        next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== TAILSCALE_FINALIZER);
        this.api.write(SERVICES, next, 'tailscale-operator');
      });
      return;
    }
    if (fin.enabled && !finalizers.includes(TAILSCALE_FINALIZER)) {
      const next = clone(svc);
      next.metadata.finalizers = [...finalizers, TAILSCALE_FINALIZER];
      svc = this.api.write(SERVICES, next, 'tailscale-operator');
    }
    if (!this.settings.tailscaleHostnames) return;
    if (!this.started.has(uid)) {
      const up = (): void => {
        this.started.add(uid);
        this.dirty.add(keyOf('services', svc));
        this.schedule();
      };
      if (this.settings.readyDelayMs > 0) this.later(`lb/${uid}`, this.settings.readyDelayMs, up);
      else this.started.add(uid);
      if (!this.started.has(uid)) return;
    }
    const host = svc.metadata.annotations?.['tailscale.com/hostname'] || `${svc.metadata.namespace ?? ''}-${svc.metadata.name ?? ''}`;
    const n = (parseInt(shortHash(uid, 4), 36) % 250) + 1;
    const ingress = [{ hostname: `${host}.${this.settings.tailnet}` }, { ip: `100.64.0.${n}` }];
    if (canonical(o_(o_(svc.status).loadBalancer).ingress) === canonical(ingress)) return;
    this.api.writeStatus(SERVICES, svc, { ...o_(svc.status), loadBalancer: { ingress } }, 'tailscale-operator');
  }

  // ------------------------------------------------------------------ deployments and replica sets

  private owned(owner: KubeObject, d: ResourceDef): KubeObject[] {
    return this.store
      .dependents(owner.metadata.uid ?? '')
      .filter(([plural]) => plural === d.plural)
      .map(([, o]) => o)
      .sort((a, b) => ((a.metadata.creationTimestamp ?? '') < (b.metadata.creationTimestamp ?? '') ? -1 : 1));
  }

  private reconcileDeployment(dep: KubeObject): void {
    if (dep.metadata.deletionTimestamp) return;
    const spec = o_(dep.spec);
    const template = o_(spec.template);
    const generation = dep.metadata.generation ?? 1;
    let hash = this.hashes.get(dep.metadata.uid ?? '')?.[0] === generation ? this.hashes.get(dep.metadata.uid ?? '')?.[1] : undefined;
    if (!hash) {
      hash = shortHash(canonical(template));
      this.hashes.set(dep.metadata.uid ?? '', [generation, hash]);
    }
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const name = dep.metadata.name ?? '';
    const sets = this.owned(dep, REPLICASETS);
    let current = sets.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const revision = Math.max(0, ...sets.map((rs) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0)));
    for (const old of sets) {
      if (old === current || o_(old.spec).replicas === 0) continue;
      this.api.write(REPLICASETS, { ...clone(old), spec: { ...o_(old.spec), replicas: 0 } }, 'kube-controller-manager');
      this.event(dep, 'Normal', 'ScalingReplicaSet', `Scaled down replica set ${old.metadata.name ?? ''} from ${String(o_(old.spec).replicas)} to 0`, 'deployment-controller');
    }
    const selector = o_(o_(spec.selector).matchLabels);
    if (!current) {
      const tmeta = o_(template.metadata);
      current = this.api.create(REPLICASETS, dep.metadata.namespace, {
        metadata: {
          name: `${name}-${hash}`,
          labels: { ...o_(tmeta.labels), 'pod-template-hash': hash },
          annotations: { 'deployment.kubernetes.io/revision': String(revision + 1), 'deployment.kubernetes.io/desired-replicas': String(replicas) },
          ownerReferences: [controllerRef(dep)],
        },
        spec: {
          replicas,
          selector: { matchLabels: { ...selector, 'pod-template-hash': hash } },
          template: { ...template, metadata: { ...tmeta, labels: { ...o_(tmeta.labels), 'pod-template-hash': hash } } },
        },
      }, { fieldManager: 'kube-controller-manager' });
      if (replicas > 0) this.event(dep, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${current.metadata.name ?? ''} to ${replicas}`, 'deployment-controller');
    } else if (o_(current.spec).replicas !== replicas) {
      const from = Number(o_(current.spec).replicas ?? 0);
      current = this.api.write(REPLICASETS, { ...clone(current), spec: { ...o_(current.spec), replicas } }, 'kube-controller-manager');
      this.event(dep, 'Normal', 'ScalingReplicaSet', `Scaled ${replicas > from ? 'up' : 'down'} replica set ${current.metadata.name ?? ''} ${replicas > from ? '' : `from ${from} `}to ${replicas}`.replace('  ', ' '), 'deployment-controller');
    }
    const all = this.owned(dep, REPLICASETS);
    const sum = (f: string): number => all.reduce((n, rs) => n + Number(o_(rs.status)[f] ?? 0), 0);
    const updated = Number(o_(current.status).replicas ?? 0);
    const available = sum('availableReplicas');
    const total = sum('replicas');
    const now = timestamp();
    const progressed = updated === replicas && available >= replicas && total === replicas;
    const conditions = keepTimes(o_(dep.status).conditions, [
      available >= replicas
        ? { type: 'Available', status: 'True', lastUpdateTime: now, lastTransitionTime: now, reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', lastUpdateTime: now, lastTransitionTime: now, reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      progressed
        ? { type: 'Progressing', status: 'True', lastUpdateTime: now, lastTransitionTime: now, reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${current.metadata.name ?? ''}" has successfully progressed.` }
        : { type: 'Progressing', status: 'True', lastUpdateTime: now, lastTransitionTime: now, reason: 'ReplicaSetUpdated', message: `ReplicaSet "${current.metadata.name ?? ''}" is progressing.` },
    ]);
    const status = {
      ...omitZero({
        observedGeneration: dep.metadata.generation ?? 1,
        replicas: total,
        updatedReplicas: updated,
        readyReplicas: sum('readyReplicas'),
        availableReplicas: available,
        unavailableReplicas: Math.max(0, replicas - available),
      }),
      conditions,
    };
    if (canonical(dep.status) !== canonical(status)) this.api.writeStatus(DEPLOYMENTS, dep, status, 'kube-controller-manager');
  }

  private reconcileReplicaSet(rs: KubeObject): void {
    if (rs.metadata.deletionTimestamp) return;
    const spec = o_(rs.spec);
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    let pods = this.owned(rs, PODS).filter((p) => !p.metadata.deletionTimestamp);
    for (let i = pods.length; i < replicas; i++) {
      const template = o_(spec.template);
      const pod = this.api.create(PODS, rs.metadata.namespace, {
        metadata: { ...o_(template.metadata), name: `${rs.metadata.name ?? ''}-${randomSuffix(5)}`, ownerReferences: [controllerRef(rs)] },
        spec: clone(o_(template.spec)),
      }, { fieldManager: 'kube-controller-manager' });
      this.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`, 'replicaset-controller');
    }
    const extra = pods.slice(replicas).concat();
    for (const p of extra.reverse()) {
      this.api.deleteQuietly(PODS, p);
      this.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name ?? ''}`, 'replicaset-controller');
    }
    pods = this.owned(rs, PODS).filter((p) => !p.metadata.deletionTimestamp);
    const ready = pods.filter((p) => a_(o_(p.status).conditions).some((c) => c.type === 'Ready' && c.status === 'True')).length;
    const status = omitZero({
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: rs.metadata.generation ?? 1,
    });
    if (canonical(rs.status) !== canonical(status)) this.api.writeStatus(REPLICASETS, rs, status, 'kube-controller-manager');
  }

  // ------------------------------------------------------------------ scheduler and kubelet

  /** The deployment (or, for a bare pod, the pod) a failure hook names. */
  private failureOf(pod: KubeObject): PodFailure | undefined {
    const f = this.settings.podFailures;
    if (f.size === 0) return undefined;
    const rsRef = (pod.metadata.ownerReferences ?? []).find((r) => r.kind === 'ReplicaSet');
    const rs = rsRef ? this.store.get(REPLICASETS, pod.metadata.namespace, rsRef.name) : undefined;
    const depName = (rs?.metadata.ownerReferences ?? []).find((r) => r.kind === 'Deployment')?.name;
    return (depName ? f.get(depName) : undefined) ?? f.get(pod.metadata.name ?? '');
  }

  private reconcilePod(pod: KubeObject): void {
    if (pod.metadata.deletionTimestamp) return;
    const ns = pod.metadata.namespace;
    const spec = o_(pod.spec);
    const status = o_(pod.status);
    const failure = this.failureOf(pod);
    const uid = pod.metadata.uid ?? '';
    this.waiting.set(uid, keyOf('pods', pod));
    const containers = a_(spec.containers);
    const now = timestamp();

    // Scheduling: claims must exist and be bound.
    const claims = a_(spec.volumes).map((v) => o_(v.persistentVolumeClaim).claimName).filter((c): c is string => typeof c === 'string');
    const pvcs = claims.map((c) => this.store.get(PVCS, ns, c));
    if (pvcs.some((p) => !p)) return; // the scheduler waits for the claim to appear
    const unbound = pvcs.some((p) => o_(p?.status).phase !== 'Bound');
    if (unbound || failure === 'Unschedulable') {
      const message = unbound
        ? '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.'
        : '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
      if (!spec.nodeName) {
        this.setPodStatus(pod, {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: now, reason: 'Unschedulable', message }],
          qosClass: status.qosClass ?? 'BestEffort',
        });
        this.event(pod, 'Warning', 'FailedScheduling', message, 'default-scheduler');
        return;
      }
    }
    if (!spec.nodeName) {
      pod = this.api.write(PODS, { ...clone(pod), spec: { ...spec, nodeName: NODE } }, 'default-scheduler');
      this.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns ?? ''}/${pod.metadata.name ?? ''} to ${NODE}`, 'default-scheduler');
    }

    const scheduled = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now };
    const base = { hostIP: '10.0.0.10', hostIPs: [{ ip: '10.0.0.10' }], startTime: (status.startTime as string | undefined) ?? now, qosClass: status.qosClass ?? 'BestEffort' };
    const podIP = `10.244.0.${(parseInt(shortHash(uid, 4), 36) % 250) + 2}`;
    const waiting = (reason: string, message?: string, extra: JsonObject = {}): JsonObject[] =>
      containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason, ...(message ? { message: message.replace('$IMAGE', String(c.image)).replace('$NAME', String(c.name)) } : {}) } },
        ...extra,
      }));
    const notReady = (reason: string): JsonObject[] => [
      { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      { type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: now, reason, message: `containers with unready status: [${containers.map((c) => String(c.name)).join(' ')}]` },
      { type: 'ContainersReady', status: 'False', lastProbeTime: null, lastTransitionTime: now, reason, message: `containers with unready status: [${containers.map((c) => String(c.name)).join(' ')}]` },
      scheduled,
    ];
    const image = String(containers[0]?.image ?? '');

    // Objects the kubelet needs before it can create the containers.
    const refs = [
      ...a_(spec.volumes).map((v) => ['configmaps', o_(v.configMap).name, o_(v.configMap).optional] as const),
      ...a_(spec.volumes).map((v) => ['secrets', o_(v.secret).secretName, o_(v.secret).optional] as const),
    ].filter(([, name, optional]) => typeof name === 'string' && optional !== true);
    const missing = refs.find(([plural, name]) => !this.store.get(def(plural), ns, String(name)));
    if (missing || failure === 'CreateContainerConfigError') {
      if (failure === 'CreateContainerConfigError') {
        const envSecret = containers.flatMap((c) => a_(c.envFrom)).map((e) => o_(e.secretRef).name).find((n) => typeof n === 'string');
        const message = `secret "${String(envSecret ?? 'missing-secret')}" not found`;
        this.setPodStatus(pod, { ...base, phase: 'Pending', podIP, podIPs: [{ ip: podIP }], conditions: notReady('ContainersNotReady'), containerStatuses: waiting('CreateContainerConfigError', message) });
        this.event(pod, 'Warning', 'Failed', `Error: ${message}`, 'kubelet');
      } else {
        this.setPodStatus(pod, { ...base, phase: 'Pending', conditions: notReady('ContainersNotReady'), containerStatuses: waiting('ContainerCreating') });
      }
      return;
    }
    if (failure === 'ErrImagePull' || failure === 'ImagePullBackOff') {
      const pullError = `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`;
      const statuses = failure === 'ErrImagePull' ? waiting('ErrImagePull', `${pullError}`) : waiting('ImagePullBackOff', `Back-off pulling image "$IMAGE"`);
      this.setPodStatus(pod, { ...base, phase: 'Pending', podIP, podIPs: [{ ip: podIP }], conditions: notReady('ContainersNotReady'), containerStatuses: statuses });
      this.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, 'kubelet');
      this.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${pullError}`, 'kubelet');
      this.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet');
      if (failure === 'ImagePullBackOff') {
        this.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, 'kubelet');
        this.event(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', 'kubelet');
      }
      return;
    }
    if (failure === 'CrashLoopBackOff') {
      const count = this.restarts.get(uid) ?? 1;
      this.restarts.set(uid, count);
      const previous = a_(status.containerStatuses)[0];
      const crashedAt = previous?.restartCount === count ? String(o_(o_(previous.lastState).terminated).finishedAt ?? now) : now;
      this.setPodStatus(pod, {
        ...base,
        phase: 'Running',
        podIP,
        podIPs: [{ ip: podIP }],
        conditions: notReady('ContainersNotReady'),
        containerStatuses: waiting('CrashLoopBackOff', `back-off 10s restarting failed container=$NAME pod=${pod.metadata.name ?? ''}`, {
          restartCount: count,
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: crashedAt, finishedAt: crashedAt } },
        }),
      });
      this.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${String(containers[0]?.name ?? '')} in pod ${pod.metadata.name ?? ''}`, 'kubelet');
      this.later(`crash/${uid}`, this.settings.crashIntervalMs, () => {
        this.restarts.set(uid, (this.restarts.get(uid) ?? 1) + 1);
        this.dirty.add(keyOf('pods', pod));
        this.schedule();
      });
      return;
    }

    // Healthy: ContainerCreating until the delay has passed, then Running and Ready.
    if (!this.started.has(uid)) {
      if (this.settings.readyDelayMs > 0) {
        this.setPodStatus(pod, { ...base, phase: 'Pending', conditions: notReady('ContainersNotReady'), containerStatuses: waiting('ContainerCreating') });
        this.later(`ready/${uid}`, this.settings.readyDelayMs, () => {
          this.started.add(uid);
          this.dirty.add(keyOf('pods', pod));
          this.schedule();
        });
        return;
      }
      this.started.add(uid);
    }
    const restartCount = this.restarts.get(uid) ?? 0;
    if (failure === 'NotReady') {
      this.setPodStatus(pod, {
        ...base,
        phase: 'Running',
        podIP,
        podIPs: [{ ip: podIP }],
        conditions: notReady('ContainersNotReady'),
        containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: false, started: true, restartCount, state: { running: { startedAt: now } } })),
      });
      return;
    }
    this.waiting.delete(uid);
    this.setPodStatus(pod, {
      ...base,
      phase: 'Running',
      podIP,
      podIPs: [{ ip: podIP }],
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: now },
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: now },
        { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: now },
        scheduled,
      ],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `${String(c.image)}@sha256:${shortHash(String(c.image), 8)}`,
        containerID: `containerd://${shortHash(`${uid}/${String(c.name)}`, 16)}`,
        ready: true,
        started: true,
        restartCount,
        state: { running: { startedAt: (o_(o_(a_(status.containerStatuses).find((s) => s.name === c.name)?.state).running).startedAt as string | undefined) ?? now } },
      })),
    });
    this.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, 'kubelet');
    this.event(pod, 'Normal', 'Created', `Created container ${String(containers[0]?.name ?? '')}`, 'kubelet');
    this.event(pod, 'Normal', 'Started', `Started container ${String(containers[0]?.name ?? '')}`, 'kubelet');
  }

  private setPodStatus(pod: KubeObject, status: JsonObject): void {
    const next: JsonObject = { ...status, conditions: keepTimes(o_(pod.status).conditions, a_(status.conditions)) };
    if (next.startTime === undefined) delete next.startTime;
    if (canonical(pod.status) === canonical(next)) return;
    this.api.writeStatus(PODS, pod, next, 'kubelet');
  }
}
