/**
 * The API semantics, without HTTP: create, replace, the patch flavours, server-side apply, delete
 * with propagation policies, owner-reference garbage collection, finalizers, namespace termination
 * and the scale subresource. The HTTP router and the controller both go through here.
 */
import { defaultMetadata, defaultObject, specChanged, timestamp, validate, type Allocator } from './defaults.js';
import {
  applyJsonPatch,
  applyMergePatch,
  canonical,
  clone,
  fieldsV1,
  isObject,
  pruneApplied,
  strategicMerge,
  type Json,
  type JsonObject,
} from './patch.js';
import { apiVersionOf, qualifiedName, resourceByPlural, RESOURCES, type ResourceDef } from './resources.js';
import { matchFields, matchLabels, type FieldSelector, type LabelSelector } from './selectors.js';
import { alreadyExists, ApiError, badRequest, conflict, notFound } from './status.js';
import type { KubeObject, Store } from './store.js';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** Only `status` writes change status (for kinds with a status subresource). */
  subresource?: 'status';
}

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

const NAMESPACES = resourceByPlural('namespaces') as ResourceDef;

function ipAllocator(): Allocator {
  let ip = 10;
  let port = 30000;
  return {
    clusterIP: () => {
      ip++;
      return `10.96.${Math.floor(ip / 250)}.${(ip % 250) + 1}`;
    },
    nodePort: () => port++,
  };
}

export class ObjectApi {
  private readonly alloc = ipAllocator();
  /** The last configuration each field manager applied, by object uid. */
  private readonly applied = new Map<string, Map<string, Json>>();
  /** Owners deleted in the foreground, waiting for their dependents to go. */
  private readonly foreground = new Map<string, [ResourceDef, string | undefined, string]>();

  constructor(readonly store: Store) {}

  // ------------------------------------------------------------------ reads

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const o = this.store.get(def, namespace, name);
    if (!o) throw notFound(qualifiedName(def), name, def.group);
    return o;
  }

  find(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(def, namespace, name);
  }

  list(def: ResourceDef, namespace: string | undefined, labels: LabelSelector = [], fields: FieldSelector = []): KubeObject[] {
    return this.store.list(def, namespace).filter((o) => matchLabels(labels, o.metadata.labels) && matchFields(fields, o));
  }

  // ------------------------------------------------------------------ create

  create(def: ResourceDef, namespace: string | undefined, body: unknown, options: WriteOptions = {}): KubeObject {
    const o = this.build(def, namespace, body);
    this.recordManager(o, options.fieldManager, 'Update', body as Json);
    if (options.dryRun) return o;
    return this.store.put(def, o);
  }

  /** A new object as create would store it: defaulted, validated, not yet stored. */
  private build(def: ResourceDef, namespace: string | undefined, body: unknown): KubeObject {
    const o = this.checkBody(def, body, namespace);
    defaultMetadata(def, o, namespace);
    this.checkNamespace(def, namespace, o.metadata.name ?? '');
    delete o.metadata.managedFields;
    defaultObject(def, o, this.alloc);
    validate(def, o);
    const name = o.metadata.name ?? '';
    if (this.store.get(def, namespace, name)) throw alreadyExists(qualifiedName(def), name, def.group);
    return o;
  }

  private checkNamespace(def: ResourceDef, namespace: string | undefined, name: string): void {
    if (!def.namespaced) return;
    const ns = this.store.get(NAMESPACES, undefined, namespace ?? '');
    if (!ns) throw notFound('namespaces', namespace ?? '', '');
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `${def.plural} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        kind: def.plural,
        group: def.group || undefined,
      });
    }
  }

  /** A request body as an object of this kind, in this namespace. */
  private checkBody(def: ResourceDef, body: unknown, namespace: string | undefined): KubeObject {
    if (!isObject(body)) throw badRequest('the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
    const o = clone(body) as KubeObject;
    const apiVersion = apiVersionOf(def);
    if (o.apiVersion && o.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    if (o.kind && o.kind !== def.kind) throw badRequest(`the kind in the data (${String(o.kind)}) does not match the expected kind (${def.kind})`);
    o.apiVersion = apiVersion;
    o.kind = def.kind;
    o.metadata = isObject(o.metadata) ? o.metadata : {};
    if (def.namespaced && o.metadata.namespace && o.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return o;
  }

  // ------------------------------------------------------------------ update

  /** PUT: replace the object, with the resourceVersion precondition when the body carries one. */
  replace(def: ResourceDef, namespace: string | undefined, name: string, body: unknown, options: WriteOptions = {}): KubeObject {
    const current = this.get(def, namespace, name);
    const next = this.checkBody(def, body, namespace);
    if (next.metadata.name && next.metadata.name !== name) {
      throw badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
    }
    const rv = next.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(qualifiedName(def), name, def.group);
    return this.commit(def, current, next, options, 'Update', body as Json);
  }

  /** PATCH in any of the four content types. `body` is already parsed (JSON or YAML). */
  patch(def: ResourceDef, namespace: string | undefined, name: string, contentType: string, body: unknown, options: WriteOptions & { force?: boolean } = {}): KubeObject {
    if (contentType === PATCH_TYPES.apply) return this.apply(def, namespace, name, body, options);
    const current = this.get(def, namespace, name);
    let patched: Json;
    if (contentType === PATCH_TYPES.json) patched = applyJsonPatch(current, body);
    else if (contentType === PATCH_TYPES.merge) patched = applyMergePatch(current, body as Json);
    else if (contentType === PATCH_TYPES.strategic) patched = strategicMerge(current, body as Json);
    else throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.values(PATCH_TYPES).join(', ')}`);
    const next = this.checkBody(def, patched, namespace);
    if (next.metadata.name !== name) throw badRequest(`the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`);
    const rv = next.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(qualifiedName(def), name, def.group);
    return this.commit(def, current, next, options, 'Update', body as Json);
  }

  /** Server-side apply: create when absent, else merge the configuration and drop what this manager no longer applies. */
  apply(def: ResourceDef, namespace: string | undefined, name: string, body: unknown, options: WriteOptions = {}): KubeObject {
    const manager = options.fieldManager;
    if (!manager) {
      throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
        kind: 'PatchOptions',
        group: 'meta.k8s.io',
        causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
      });
    }
    if (!isObject(body)) throw badRequest('error decoding patch: the apply configuration must be an object');
    if (!body.apiVersion || !body.kind) throw badRequest('invalid object type: /, Kind=');
    const config = this.checkBody(def, body, namespace);
    if (config.metadata.name && config.metadata.name !== name) {
      throw badRequest(`the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`);
    }
    const applied = clone(config) as Json;
    const current = this.store.get(def, namespace, name);
    if (!current) {
      const created = this.build(def, namespace, { ...config, metadata: { ...config.metadata, name } });
      this.recordManager(created, manager, 'Apply', applied);
      if (options.dryRun) return created;
      const stored = this.store.put(def, created);
      this.rememberApplied(stored, manager, applied);
      return stored;
    }
    const previous = this.applied.get(current.metadata.uid ?? '')?.get(manager);
    let merged = strategicMerge(current, stripRv(applied)) as KubeObject;
    if (previous !== undefined) merged = pruneApplied(merged, previous, applied) as KubeObject;
    const result = this.commit(def, current, merged, options, 'Apply', applied, manager);
    if (!options.dryRun) this.rememberApplied(result, manager, applied);
    return result;
  }

  private rememberApplied(o: KubeObject, manager: string, applied: Json): void {
    const uid = o.metadata.uid ?? '';
    let byManager = this.applied.get(uid);
    if (!byManager) this.applied.set(uid, (byManager = new Map()));
    byManager.set(manager, applied);
  }

  /** Write `next` over `current`: server-owned fields survive, defaults and validation run, no-ops do not write. */
  private commit(
    def: ResourceDef,
    current: KubeObject,
    next: KubeObject,
    options: WriteOptions,
    operation: 'Update' | 'Apply',
    config: Json,
    manager = options.fieldManager,
  ): KubeObject {
    const keep = current.metadata;
    if (options.subresource === 'status' && def.hasStatus) {
      // Only status changes: spec and metadata stay as stored, so no defaulting or validation is needed.
      if (canonical(current.status) === canonical(next.status)) return current;
      const updated: KubeObject = { ...current, metadata: { ...keep, managedFields: keep.managedFields ?? [] }, status: clone(next.status) };
      this.recordManager(updated, manager, operation, config, 'status');
      return options.dryRun ? updated : this.store.put(def, updated);
    }
    const m = next.metadata;
    next.metadata = {
      ...m,
      name: keep.name,
      namespace: keep.namespace,
      uid: keep.uid,
      creationTimestamp: keep.creationTimestamp,
      ...(keep.deletionTimestamp ? { deletionTimestamp: keep.deletionTimestamp } : {}),
      ...(keep.generation !== undefined ? { generation: keep.generation } : {}),
      managedFields: keep.managedFields ?? [],
    };
    if (!keep.deletionTimestamp) delete next.metadata.deletionTimestamp;
    if (def.hasStatus) {
      if (current.status !== undefined) next.status = clone(current.status);
      else delete next.status;
    }
    defaultObject(def, next, this.alloc, current);
    validate(def, next, current);
    if (def.hasGeneration && specChanged(current, next)) next.metadata.generation = (keep.generation ?? 1) + 1;
    if (sameObject(current, next)) return current;
    this.recordManager(next, manager, operation, config, options.subresource);
    if (options.dryRun) return next;
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      return this.removeNow(def, next, 'Background') ?? next;
    }
    return this.store.put(def, next);
  }

  private recordManager(o: KubeObject, manager: string | undefined, operation: 'Update' | 'Apply', config: Json, subresource?: string): void {
    const entries = (Array.isArray(o.metadata.managedFields) ? o.metadata.managedFields : []).filter(
      (e) => !(isObject(e) && e.manager === (manager ?? 'unknown') && e.operation === operation && (e.subresource ?? undefined) === subresource),
    );
    const fields = isObject(config) ? { ...config } : {};
    delete fields.status;
    entries.push({
      manager: manager ?? 'unknown',
      operation,
      apiVersion: o.apiVersion,
      time: timestamp(),
      fieldsType: 'FieldsV1',
      fieldsV1: fieldsV1(subresource === 'status' && isObject(config) ? { status: config.status ?? {} } : fields),
      ...(subresource ? { subresource } : {}),
    });
    o.metadata.managedFields = entries;
  }

  // ------------------------------------------------------------------ scale subresource

  getScale(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    return toScale(this.get(def, namespace, name));
  }

  /** PUT or PATCH of `/scale`: `update` turns the current Scale into the wanted one. */
  updateScale(def: ResourceDef, namespace: string | undefined, name: string, update: (scale: KubeObject) => unknown, options: WriteOptions = {}): KubeObject {
    const current = this.get(def, namespace, name);
    const wanted = update(toScale(current));
    if (!isObject(wanted) || !isObject(wanted.spec)) throw badRequest('the body of the request is not a Scale');
    const rv = isObject(wanted.metadata) ? wanted.metadata.resourceVersion : undefined;
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(qualifiedName(def), name, def.group);
    const replicas = Number(wanted.spec.replicas ?? 0);
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`);
    }
    const next = clone(current);
    (next.spec as JsonObject).replicas = replicas;
    return toScale(this.commit(def, current, next, options, 'Update', { spec: { replicas } }));
  }

  // ------------------------------------------------------------------ delete

  /**
   * DELETE: an object with finalizers only gets a deletionTimestamp; otherwise it goes, and its
   * dependents with it (Background, Foreground) or not (Orphan). `pending` says it is still there.
   */
  delete(def: ResourceDef, namespace: string | undefined, name: string, options: DeleteOptions = {}): { object: KubeObject; pending: boolean } {
    const current = this.get(def, namespace, name);
    const pre = options.preconditions;
    if ((pre?.uid && pre.uid !== current.metadata.uid) || (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion)) {
      throw conflict(qualifiedName(def), name, def.group);
    }
    if (options.dryRun) return { object: current, pending: false };
    const policy = options.propagationPolicy ?? 'Background';
    if (def === NAMESPACES) return this.deleteNamespace(current);
    if (policy === 'Orphan') this.orphanDependents(current);
    if (policy === 'Foreground' && this.dependents(current).length > 0) {
      const marked = this.markDeleting(def, current, ['foregroundDeletion']);
      this.foreground.set(marked.metadata.uid ?? '', [def, namespace, name]);
      for (const [depDef, dep] of this.dependents(current)) this.deleteQuietly(depDef, dep, 'Foreground');
      return { object: this.store.get(def, namespace, name) ?? marked, pending: Boolean(this.store.get(def, namespace, name)) };
    }
    if ((current.metadata.finalizers ?? []).length > 0) {
      return { object: this.markDeleting(def, current, []), pending: true };
    }
    return { object: this.removeNow(def, current, policy) ?? current, pending: false };
  }

  /** Delete without failing when the object is already gone (garbage collection, namespace cleanup). */
  deleteQuietly(def: ResourceDef, o: KubeObject, policy: PropagationPolicy = 'Background'): void {
    if (!this.store.get(def, o.metadata.namespace, o.metadata.name ?? '')) return;
    this.delete(def, o.metadata.namespace, o.metadata.name ?? '', { propagationPolicy: policy });
  }

  deleteCollection(def: ResourceDef, namespace: string | undefined, labels: LabelSelector, fields: FieldSelector, options: DeleteOptions = {}): KubeObject[] {
    return this.list(def, namespace, labels, fields).map((o) => this.delete(def, namespace, o.metadata.name ?? '', options).object);
  }

  private markDeleting(def: ResourceDef, current: KubeObject, addFinalizers: string[]): KubeObject {
    const next = clone(current);
    next.metadata.deletionTimestamp ??= timestamp();
    next.metadata.deletionGracePeriodSeconds = 0;
    const finalizers = [...(next.metadata.finalizers ?? [])];
    for (const f of addFinalizers) if (!finalizers.includes(f)) finalizers.push(f);
    next.metadata.finalizers = finalizers;
    if (sameObject(current, next)) return current;
    return this.store.put(def, next);
  }

  private deleteNamespace(ns: KubeObject): { object: KubeObject; pending: boolean } {
    const marked = clone(ns);
    marked.metadata.deletionTimestamp ??= timestamp();
    marked.status = { phase: 'Terminating' };
    const stored = this.store.put(NAMESPACES, marked);
    for (const def of RESOURCES) {
      if (!def.namespaced) continue;
      for (const o of this.store.list(def, ns.metadata.name)) this.deleteQuietly(def, o);
    }
    this.finishNamespaces();
    const left = this.store.get(NAMESPACES, undefined, ns.metadata.name ?? '');
    return { object: left ?? stored, pending: left !== undefined };
  }

  /** Remove terminating namespaces that are now empty. */
  private finishNamespaces(): void {
    for (const ns of this.store.list(NAMESPACES)) {
      if (!ns.metadata.deletionTimestamp) continue;
      const name = ns.metadata.name ?? '';
      if (RESOURCES.some((def) => def.namespaced && this.store.list(def, name).length > 0)) continue;
      this.store.remove(NAMESPACES, ns);
    }
  }

  /** Objects whose ownerReferences name this one. */
  dependents(owner: KubeObject): [ResourceDef, KubeObject][] {
    return this.store
      .dependents(owner.metadata.uid ?? '')
      .filter(([, o]) => o.metadata.namespace === owner.metadata.namespace || !owner.metadata.namespace)
      .map(([plural, o]) => [resourceByPlural(plural) as ResourceDef, o]);
  }

  private orphanDependents(owner: KubeObject): void {
    for (const [def, dep] of this.dependents(owner)) {
      const next = clone(dep);
      next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      this.store.put(def, next);
    }
  }

  /** Remove from storage, then collect garbage: dependents go, owners waiting in foreground may finish. */
  private removeNow(def: ResourceDef, o: KubeObject, policy: PropagationPolicy): KubeObject | undefined {
    const gone = this.store.remove(def, o);
    this.applied.delete(o.metadata.uid ?? '');
    if (policy !== 'Orphan') {
      for (const [depDef, dep] of this.dependents(o)) {
        const others = (dep.metadata.ownerReferences ?? []).filter((r) => r.uid !== o.metadata.uid && this.ownerExists(dep, r.uid));
        if (others.length > 0) {
          const next = clone(dep);
          next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== o.metadata.uid);
          this.store.put(depDef, next);
        } else this.deleteQuietly(depDef, dep, policy);
      }
    }
    this.finishForeground();
    this.finishNamespaces();
    return gone;
  }

  private ownerExists(dep: KubeObject, uid: string): boolean {
    const owner = this.store.byId(uid)?.[1];
    return owner !== undefined && (owner.metadata.namespace === undefined || owner.metadata.namespace === dep.metadata.namespace);
  }

  /** Owners deleted in the foreground go once their dependents are gone. */
  private finishForeground(): void {
    for (const [uid, [def, namespace, name]] of [...this.foreground]) {
      const current = this.store.get(def, namespace, name);
      if (!current || current.metadata.uid !== uid) {
        this.foreground.delete(uid);
        continue;
      }
      if (this.dependents(current).length > 0) continue;
      this.foreground.delete(uid);
      const next = clone(current);
      next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== 'foregroundDeletion');
      if (next.metadata.finalizers.length === 0) this.removeNow(def, next, 'Background');
      else this.store.put(def, next);
    }
  }

  // ------------------------------------------------------------------ for the controller and seeding

  /** Store an object as the server would on create, skipping the namespace check when asked (seeding). */
  seed(def: ResourceDef, body: unknown): KubeObject {
    const namespace = def.namespaced ? ((isObject(body) && isObject(body.metadata) && (body.metadata.namespace as string)) || 'default') : undefined;
    if (def.namespaced && !this.store.get(NAMESPACES, undefined, namespace ?? '')) {
      this.create(NAMESPACES, undefined, { metadata: { name: namespace } });
    }
    return this.create(def, namespace, body, { fieldManager: 'seed' });
  }

  /** Write status as a controller does (no precondition). */
  writeStatus(def: ResourceDef, o: KubeObject, status: Json, manager: string): KubeObject {
    const current = this.store.get(def, o.metadata.namespace, o.metadata.name ?? '');
    if (!current) return o;
    return this.commit(def, current, { ...current, status }, { subresource: 'status', fieldManager: manager }, 'Update', { status });
  }

  /** Write a changed object as a controller does (no precondition). */
  write(def: ResourceDef, next: KubeObject, manager: string): KubeObject {
    const current = this.get(def, next.metadata.namespace, next.metadata.name ?? '');
    return this.commit(def, current, clone(next), { fieldManager: manager }, 'Update', {});
  }
}

function stripRv(v: Json): Json {
  if (!isObject(v) || !isObject(v.metadata)) return v;
  const metadata = { ...v.metadata };
  delete metadata.resourceVersion;
  return { ...v, metadata };
}

function sameObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): JsonObject => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined } as JsonObject });
  return canonical(strip(a)) === canonical(strip(b));
}

function toScale(o: KubeObject): KubeObject {
  const spec = (o.spec ?? {}) as JsonObject;
  const status = (o.status ?? {}) as JsonObject;
  const selector = isObject(spec.selector) && isObject(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: (spec.replicas as number | undefined) ?? 0 },
    status: {
      replicas: (status.replicas as number | undefined) ?? 0,
      selector: Object.entries(selector).map(([k, v]) => `${k}=${String(v)}`).join(','),
    },
  };
}
