/**
 * What the API server adds to and checks in an object on its way in: defaults that clients (kubectl
 * above all) dereference, and the validation errors a client is likely to meet.
 */
import { randomUUID } from 'node:crypto';
import { canonical, isObject, type Json, type JsonObject } from './patch.js';
import type { ResourceDef } from './resources.js';
import type { KubeObject } from './store.js';
import { invalid } from './status.js';
import { fromSelectorObject, matchLabels } from './selectors.js';

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function obj(parent: JsonObject, key: string): JsonObject {
  const v = parent[key];
  if (isObject(v)) return v;
  const fresh: JsonObject = {};
  parent[key] = fresh;
  return fresh;
}

function arr(parent: JsonObject, key: string): JsonObject[] {
  const v = parent[key];
  return Array.isArray(v) ? (v.filter(isObject) as JsonObject[]) : [];
}

function setDefault(target: JsonObject, key: string, value: Json): void {
  if (target[key] === undefined || target[key] === null) target[key] = value;
}

/** Check the name and the fields a client must send; throws 422 Invalid. */
export function validate(def: ResourceDef, o: KubeObject, previous?: KubeObject): void {
  const name = o.metadata.name ?? '';
  const fail = (field: string, message: string): never => {
    throw invalid(def.kind, name, def.group, [{ field, message }]);
  };
  if (!name) fail('metadata.name', 'Required value: name or generateName is required');
  const label = def.plural === 'services' ? DNS1035_LABEL : def.plural === 'namespaces' ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
  const max = label === DNS1123_SUBDOMAIN ? 253 : 63;
  if (!label.test(name) || name.length > max) {
    const what = label === DNS1035_LABEL ? 'a DNS-1035 label' : label === DNS1123_LABEL ? 'a lowercase RFC 1123 label' : 'a lowercase RFC 1123 subdomain';
    fail('metadata.name', `Invalid value: "${name}": ${what} must consist of lower case alphanumeric characters or '-'${max === 253 ? " or '.'" : ''}, and must start and end with an alphanumeric character (at most ${max} characters)`);
  }
  const spec = isObject(o.spec) ? o.spec : {};
  if (def.plural === 'deployments' || def.plural === 'replicasets') {
    if (!isObject(spec.selector)) fail('spec.selector', 'Required value');
    const template = isObject(spec.template) ? spec.template : {};
    const tmeta = isObject(template.metadata) ? template.metadata : {};
    const selector = fromSelectorObject(spec.selector as never);
    if (selector.length === 0) fail('spec.selector', 'Invalid value: empty selector is invalid for deployment');
    if (!matchLabels(selector, tmeta.labels as Record<string, string> | undefined)) {
      fail('spec.template.metadata.labels', `Invalid value: ${JSON.stringify(tmeta.labels ?? {})}: \`selector\` does not match template \`labels\``);
    }
    checkPodSpec(isObject(template.spec) ? template.spec : {}, 'spec.template.spec', fail);
    if (previous && canonical((previous.spec as JsonObject | undefined)?.selector) !== canonical(spec.selector)) {
      fail('spec.selector', `Invalid value: ${JSON.stringify(spec.selector)}: field is immutable`);
    }
  }
  if (def.plural === 'pods') checkPodSpec(spec, 'spec', fail);
  if (def.plural === 'services') {
    const type = spec.type ?? 'ClusterIP';
    if (type !== 'ExternalName' && spec.clusterIP !== 'None' && arr(spec, 'ports').length === 0) fail('spec.ports', 'Required value');
  }
  if (def.plural === 'persistentvolumeclaims') {
    if (arr(spec, 'accessModes').length === 0 && !Array.isArray(spec.accessModes)) fail('spec.accessModes', 'Required value: at least 1 access mode is required');
    const storage = (isObject(spec.resources) && isObject(spec.resources.requests) && spec.resources.requests.storage) || undefined;
    if (!storage) fail('spec.resources[storage]', 'Required value');
    if (previous) {
      const before = previous.spec as JsonObject;
      const changed = ['accessModes', 'volumeMode', 'selector'].some((k) => JSON.stringify(before[k]) !== JSON.stringify(spec[k]));
      if (changed || (spec.storageClassName !== undefined && spec.storageClassName !== before.storageClassName)) {
        fail('spec', 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
      }
    }
  }
}

function checkPodSpec(spec: JsonObject, path: string, fail: (field: string, message: string) => never): void {
  const containers = arr(spec, 'containers');
  if (containers.length === 0) fail(`${path}.containers`, 'Required value');
  containers.forEach((c, i) => {
    if (!c.name) fail(`${path}.containers[${i}].name`, 'Required value');
    if (!c.image) fail(`${path}.containers[${i}].image`, 'Required value');
  });
}

/** Metadata every stored object has. */
export function defaultMetadata(def: ResourceDef, o: KubeObject, namespace: string | undefined, now = new Date()): void {
  const m = o.metadata;
  if (!m.name && m.generateName) m.name = `${m.generateName}${randomSuffix(5)}`;
  if (def.namespaced) m.namespace = namespace;
  else delete m.namespace;
  m.uid = randomUUID();
  m.creationTimestamp = timestamp(now);
  if (def.hasGeneration) m.generation = 1;
  delete m.deletionTimestamp;
  delete m.resourceVersion;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE[Math.floor(Math.random() * SAFE.length)];
  return s;
}

/** A stable short hash (the pod-template-hash alphabet). */
export function shortHash(text: string, n = 10): string {
  let h = 2166136261;
  let out = '';
  for (let round = 0; out.length < n; round++) {
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
    h = Math.imul(h ^ round, 16777619) >>> 0;
    out += SAFE[h % SAFE.length];
  }
  return out;
}

function imagePullPolicy(image: string): string {
  const last = image.split('/').pop() ?? image;
  if (image.includes('@')) return 'IfNotPresent';
  return !last.includes(':') || last.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: Json | undefined): void {
  if (!isObject(p)) return;
  setDefault(p, 'timeoutSeconds', 1);
  setDefault(p, 'periodSeconds', 10);
  setDefault(p, 'successThreshold', 1);
  setDefault(p, 'failureThreshold', 3);
}

export function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const c of [...arr(spec, 'initContainers'), ...arr(spec, 'containers')]) {
    setDefault(c, 'terminationMessagePath', '/dev/termination-log');
    setDefault(c, 'terminationMessagePolicy', 'File');
    setDefault(c, 'imagePullPolicy', imagePullPolicy(String(c.image ?? '')));
    setDefault(c, 'resources', {});
    for (const p of arr(c, 'ports')) setDefault(p, 'protocol', 'TCP');
    defaultProbe(c.readinessProbe);
    defaultProbe(c.livenessProbe);
    defaultProbe(c.startupProbe);
  }
  for (const v of arr(spec, 'volumes')) {
    if (isObject(v.configMap)) setDefault(v.configMap, 'defaultMode', 420);
    if (isObject(v.secret)) setDefault(v.secret, 'defaultMode', 420);
  }
}

export interface Allocator {
  clusterIP(): string;
  nodePort(): number;
}

/** Kind-specific defaults; `previous` is the stored object on an update (server-allocated fields survive). */
export function defaultObject(def: ResourceDef, o: KubeObject, alloc: Allocator, previous?: KubeObject): void {
  const spec = (): JsonObject => obj(o, 'spec');
  switch (def.plural) {
    case 'namespaces': {
      setDefault(spec(), 'finalizers', ['kubernetes']);
      o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name ?? '' };
      if (!isObject(o.status) || !o.status.phase) o.status = { phase: 'Active' };
      break;
    }
    case 'deployments':
    case 'replicasets': {
      const s = spec();
      setDefault(s, 'replicas', 1);
      if (def.plural === 'deployments') {
        setDefault(s, 'revisionHistoryLimit', 10);
        setDefault(s, 'progressDeadlineSeconds', 600);
        const strategy = obj(s, 'strategy');
        setDefault(strategy, 'type', 'RollingUpdate');
        if (strategy.type === 'RollingUpdate') {
          const ru = obj(strategy, 'rollingUpdate');
          setDefault(ru, 'maxUnavailable', '25%');
          setDefault(ru, 'maxSurge', '25%');
        }
      }
      const template = obj(s, 'template');
      obj(template, 'metadata');
      defaultPodSpec(obj(template, 'spec'));
      setDefault(o, 'status', {});
      break;
    }
    case 'pods': {
      const s = spec();
      defaultPodSpec(s);
      setDefault(s, 'serviceAccountName', 'default');
      setDefault(s, 'serviceAccount', 'default');
      setDefault(s, 'enableServiceLinks', true);
      setDefault(s, 'priority', 0);
      setDefault(s, 'preemptionPolicy', 'PreemptLowerPriority');
      setDefault(o, 'status', { phase: 'Pending', qosClass: 'BestEffort' });
      break;
    }
    case 'services': {
      const s = spec();
      const before = isObject(previous?.spec) ? previous.spec : {};
      setDefault(s, 'type', 'ClusterIP');
      setDefault(s, 'sessionAffinity', 'None');
      const type = s.type;
      if (type !== 'ExternalName') {
        setDefault(s, 'clusterIP', (before.clusterIP as string | undefined) ?? alloc.clusterIP());
        setDefault(s, 'clusterIPs', s.clusterIP === 'None' ? ['None'] : [s.clusterIP as string]);
        setDefault(s, 'ipFamilies', ['IPv4']);
        setDefault(s, 'ipFamilyPolicy', 'SingleStack');
        setDefault(s, 'internalTrafficPolicy', 'Cluster');
      }
      const beforePorts = arr(before, 'ports');
      for (const p of arr(s, 'ports')) {
        setDefault(p, 'protocol', 'TCP');
        setDefault(p, 'targetPort', p.port as number);
        if (type === 'NodePort' || (type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false)) {
          setDefault(p, 'nodePort', (beforePorts.find((b) => b.port === p.port)?.nodePort as number | undefined) ?? alloc.nodePort());
        }
      }
      if (type === 'LoadBalancer' || type === 'NodePort') setDefault(s, 'externalTrafficPolicy', 'Cluster');
      if (type === 'LoadBalancer') setDefault(s, 'allocateLoadBalancerNodePorts', true);
      setDefault(o, 'status', { loadBalancer: {} });
      break;
    }
    case 'persistentvolumeclaims': {
      const s = spec();
      setDefault(s, 'volumeMode', 'Filesystem');
      // The DefaultStorageClass admission plugin fills the class in when the cluster has a default one.
      setDefault(s, 'storageClassName', 'standard');
      setDefault(o, 'status', { phase: 'Pending' });
      break;
    }
    case 'secrets': {
      setDefault(o, 'type', 'Opaque');
      if (isObject(o.stringData)) {
        const data = obj(o, 'data');
        for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
        delete o.stringData;
      }
      break;
    }
    case 'events': {
      setDefault(o, 'count', 1);
      setDefault(o, 'type', 'Normal');
      break;
    }
  }
}

/** Whether an update changes what generation counts (everything but metadata and status). */
export function specChanged(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): JsonObject => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  return canonical(strip(a)) !== canonical(strip(b));
}
