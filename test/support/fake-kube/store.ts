/**
 * Storage: objects by resource, one global resourceVersion counter, a bounded history of changes
 * (so a watch can start at a past resourceVersion) and the fan-out of changes to open watches.
 * Stored objects are never mutated in place: every write stores a fresh object.
 */
import type { ResourceDef } from './resources.js';
import { matchFields, matchLabels, type FieldSelector, type LabelSelector } from './selectors.js';

/** A Kubernetes object as stored (plain JSON). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  rv: number;
  type: EventType;
  def: ResourceDef;
  object: KubeObject;
  /** The object before a MODIFIED change. */
  previous?: KubeObject;
}

export interface WatchFilter {
  def: ResourceDef;
  namespace?: string;
  labels: LabelSelector;
  fields: FieldSelector;
}

export interface Watcher extends WatchFilter {
  send(type: EventType, object: KubeObject): void;
}

export function matches(filter: WatchFilter, obj: KubeObject): boolean {
  if (filter.namespace !== undefined && obj.metadata.namespace !== filter.namespace) return false;
  return matchLabels(filter.labels, obj.metadata.labels) && matchFields(filter.fields, obj);
}

/**
 * The event a watcher with this filter sees for a change: an object that starts matching is ADDED
 * for it, one that stops matching is DELETED — as the API server's watch cache does.
 */
export function eventFor(filter: WatchFilter, change: Change): EventType | undefined {
  if (change.def !== filter.def) return undefined;
  const now = matches(filter, change.object);
  if (change.type !== 'MODIFIED' || !change.previous) return now ? change.type : undefined;
  const before = matches(filter, change.previous);
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  if (before) return 'DELETED';
  return undefined;
}

const key = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

export class Store {
  private rv = 1000;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: Change[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly listeners = new Set<(change: Change) => void>();
  /** uid → [plural, key], and owner uid → dependents' [plural, key]: garbage collection without scans. */
  private readonly byUid = new Map<string, [string, string]>();
  private readonly children = new Map<string, Map<string, [string, string]>>();

  constructor(private readonly historyLimit = 20_000) {}

  /** The current resourceVersion (of the last write). */
  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch can start from. */
  get oldestWatchable(): number {
    return this.history[0] ? this.history[0].rv - 1 : this.rv;
  }

  private table(def: ResourceDef): Map<string, KubeObject> {
    let t = this.objects.get(def.plural);
    if (!t) this.objects.set(def.plural, (t = new Map()));
    return t;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.table(def).get(key(def.namespaced ? namespace : undefined, name));
  }

  /** Every object of a kind, optionally in one namespace, sorted by namespace and name like the API server. */
  list(def: ResourceDef, namespace?: string): KubeObject[] {
    const all: [string, KubeObject][] = [];
    for (const [k, o] of this.table(def)) if (namespace === undefined || o.metadata.namespace === namespace) all.push([k, o]);
    return all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
  }

  /** The object with this uid. */
  byId(uid: string): [ResourceDef | string, KubeObject] | undefined {
    const where = this.byUid.get(uid);
    const o = where ? this.objects.get(where[0])?.get(where[1]) : undefined;
    return where && o ? [where[0], o] : undefined;
  }

  /** Objects whose ownerReferences name this uid, as [plural, object]. */
  dependents(uid: string): [string, KubeObject][] {
    const out: [string, KubeObject][] = [];
    for (const [plural, k] of this.children.get(uid)?.values() ?? []) {
      const o = this.objects.get(plural)?.get(k);
      if (o) out.push([plural, o]);
    }
    return out;
  }

  private index(plural: string, k: string, before: KubeObject | undefined, after: KubeObject | undefined): void {
    const id = `${plural}|${k}`;
    for (const r of before?.metadata.ownerReferences ?? []) this.children.get(r.uid)?.delete(id);
    if (before?.metadata.uid) this.byUid.delete(before.metadata.uid);
    for (const r of after?.metadata.ownerReferences ?? []) {
      let set = this.children.get(r.uid);
      if (!set) this.children.set(r.uid, (set = new Map()));
      set.set(id, [plural, k]);
    }
    if (after?.metadata.uid) this.byUid.set(after.metadata.uid, [plural, k]);
  }

  /** Store a new or changed object, giving it the next resourceVersion. */
  put(def: ResourceDef, obj: KubeObject): KubeObject {
    const k = key(def.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name ?? '');
    const previous = this.table(def).get(k);
    const rv = ++this.rv;
    const stored: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    this.table(def).set(k, stored);
    this.index(def.plural, k, previous, stored);
    this.record({ rv, type: previous ? 'MODIFIED' : 'ADDED', def, object: stored, previous });
    return stored;
  }

  /** Remove an object for good; `obj` is its final state (what DELETED events carry). */
  remove(def: ResourceDef, obj: KubeObject): KubeObject | undefined {
    const k = key(def.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name ?? '');
    const current = this.table(def).get(k);
    if (!current) return undefined;
    this.table(def).delete(k);
    this.index(def.plural, k, current, undefined);
    const rv = ++this.rv;
    const gone: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    this.record({ rv, type: 'DELETED', def, object: gone });
    return gone;
  }

  /** Every stored object of every kind. */
  *all(): Generator<[string, KubeObject]> {
    for (const [plural, table] of this.objects) for (const obj of table.values()) yield [plural, obj];
  }

  private record(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const w of this.watchers) {
      const type = eventFor(w, change);
      if (type) w.send(type, change.object);
    }
    for (const l of this.listeners) l(change);
  }

  /** Changes after a resourceVersion, or undefined when the history no longer reaches back that far. */
  changesSince(rv: number): Change[] | undefined {
    if (rv < this.oldestWatchable) return undefined;
    const start = this.history.findIndex((c) => c.rv > rv);
    return start < 0 ? [] : this.history.slice(start);
  }

  watch(watcher: Watcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Called after every change (the controller listens here). */
  onChange(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
