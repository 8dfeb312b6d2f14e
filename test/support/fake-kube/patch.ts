/**
 * The four PATCH flavours: JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge
 * patch (approximated: maps merge, lists of objects merge by their key — `name` for most), and
 * server-side apply (approximated: strategic merge of the applied configuration, then the fields this
 * field manager applied last time and no longer applies are removed).
 */
import { ApiError } from './status.js';

/** Parsed JSON (objects are checked with isObject before use). */
export type Json = unknown;
export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy of JSON data (faster than structuredClone for plain JSON). */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

// ---------------------------------------------------------------- JSON patch

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw jsonPatchError(`invalid JSON pointer "${pointer}"`);
  return pointer.slice(1).split('/').map(unescapePointer);
}

function jsonPatchError(message: string): ApiError {
  return new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
}

function resolveParent(doc: Json, tokens: string[], op: string): { parent: JsonObject | Json[]; key: string } {
  let cur: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(token)] as Json;
    else if (isObject(cur)) cur = cur[token] as Json;
    else cur = undefined as unknown as Json;
    if (cur === undefined || cur === null || typeof cur !== 'object') throw jsonPatchError(`${op} operation does not apply: doc is missing path: /${tokens.join('/')}`);
  }
  return { parent: cur as JsonObject | Json[], key: tokens[tokens.length - 1] ?? '' };
}

function getAt(doc: Json, tokens: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const token of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (isObject(cur)) cur = Object.hasOwn(cur, token) ? cur[token] : undefined;
    else return undefined;
  }
  return cur;
}

function removeAt(doc: Json, tokens: string[]): Json {
  const { parent, key } = resolveParent(doc, tokens, 'remove');
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length)) throw jsonPatchError(`remove operation does not apply: doc is missing path: /${tokens.join('/')}`);
    return parent.splice(i, 1)[0] as Json;
  }
  if (!Object.hasOwn(parent, key)) throw jsonPatchError(`remove operation does not apply: doc is missing path: /${tokens.join('/')}`);
  const old = parent[key] as Json;
  delete parent[key];
  return old;
}

function addAt(doc: Json, tokens: string[], value: Json, replace: boolean): Json {
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, replace ? 'replace' : 'add');
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!(i >= 0 && i <= parent.length) || (replace && i >= parent.length)) throw jsonPatchError(`index out of range: /${tokens.join('/')}`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !Object.hasOwn(parent, key)) throw jsonPatchError(`replace operation does not apply: doc is missing key: /${tokens.join('/')}`);
    parent[key] = value;
  }
  return doc;
}

export function applyJsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw)) throw jsonPatchError('invalid operation');
    const op = String(raw.op);
    const path = parsePointer(String(raw.path ?? ''));
    switch (op) {
      case 'add':
        doc = addAt(doc, path, clone(raw.value as Json), false);
        break;
      case 'replace':
        doc = addAt(doc, path, clone(raw.value as Json), true);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'move': {
        const value = removeAt(doc, parsePointer(String(raw.from)));
        doc = addAt(doc, path, value, false);
        break;
      }
      case 'copy': {
        const value = getAt(doc, parsePointer(String(raw.from)));
        if (value === undefined) throw jsonPatchError(`copy operation does not apply: doc is missing from path: ${String(raw.from)}`);
        doc = addAt(doc, path, clone(value), false);
        break;
      }
      case 'test': {
        const value = getAt(doc, path);
        if (JSON.stringify(value) !== JSON.stringify(raw.value)) throw jsonPatchError(`testing value /${path.join('/')} failed: test failed`);
        break;
      }
      default:
        throw jsonPatchError(`Unexpected kind: ${op}`);
    }
  }
  return doc;
}

// ---------------------------------------------------------------- JSON merge patch

export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key] ?? null, value);
  }
  return result;
}

// ---------------------------------------------------------------- strategic merge patch

/** Merge keys of the list fields spark and kubectl touch; other lists of named objects merge by name. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
};
/** Lists of scalars that merge as sets. */
const SET_LISTS = new Set(['finalizers']);
/** Lists replaced whole (atomic). */
const ATOMIC_LISTS = new Set(['args', 'command', 'accessModes', 'tolerations', 'envFrom', 'ingress', 'clusterIPs', 'ipFamilies', 'items']);

function mergeKeyFor(field: string, items: Json[]): string | undefined {
  if (ATOMIC_LISTS.has(field)) return undefined;
  if (field === 'ports') {
    if (items.every((i) => isObject(i) && 'containerPort' in i)) return 'containerPort';
    if (items.every((i) => isObject(i) && 'port' in i)) return 'port';
    return undefined;
  }
  const known = MERGE_KEYS[field];
  if (known) return known;
  if (items.length > 0 && items.every((i) => isObject(i) && typeof i.name === 'string')) return 'name';
  return undefined;
}

function sameKey(a: Json, b: Json, key: string): boolean {
  return isObject(a) && isObject(b) && a[key] !== undefined && JSON.stringify(a[key]) === JSON.stringify(b[key]);
}

function mergeList(field: string, original: Json[], patch: Json[], directives: { deleteValues?: Json[] }): Json[] {
  if (SET_LISTS.has(field)) {
    const out = original.filter((v) => !directives.deleteValues?.some((d) => d === v));
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  const key = mergeKeyFor(field, [...original, ...patch]);
  if (!key || !patch.every(isObject)) {
    return patch.filter((p) => !(isObject(p) && p.$patch === 'delete')).map((p) => stripDirectives(p));
  }
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p.$patch)).map((p) => stripDirectives(p));
  }
  const out = original.map((o) => clone(o));
  for (const p of patch) {
    const i = out.findIndex((o) => sameKey(o, p, key));
    if (isObject(p) && p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMerge(out[i] as Json, p);
    else out.push(stripDirectives(p));
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(val);
  return out;
}

export function strategicMerge(original: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return {};
  const result: JsonObject = isObject(original) ? clone(original) : {};
  const retain = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value)) {
      const deleteValues = patch[`$deleteFromPrimitiveList/${key}`];
      result[key] = mergeList(key, Array.isArray(result[key]) ? (result[key] as Json[]) : [], value, {
        deleteValues: Array.isArray(deleteValues) ? deleteValues : undefined,
      });
    } else if (isObject(value)) {
      result[key] = strategicMerge(result[key] ?? null, value);
    } else {
      result[key] = value;
    }
  }
  for (const key of Object.keys(patch)) {
    const m = /^\$deleteFromPrimitiveList\/(.+)$/.exec(key);
    const list = m?.[1] ? result[m[1]] : undefined;
    if (m?.[1] && Array.isArray(list) && !(m[1] in patch)) {
      const remove = patch[key] as Json[];
      result[m[1]] = list.filter((v) => !remove.includes(v));
    }
  }
  if (retain) for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  return result;
}

// ---------------------------------------------------------------- server-side apply

/** Remove from `target` what `previous` applied and `next` no longer applies (lists merge by key). */
export function pruneApplied(target: Json, previous: Json, next: Json, field = ''): Json {
  if (isObject(target) && isObject(previous)) {
    const nextObj = isObject(next) ? next : {};
    for (const key of Object.keys(previous)) {
      if (!Object.hasOwn(nextObj, key)) delete target[key];
      else if (Object.hasOwn(target, key)) target[key] = pruneApplied(target[key] as Json, previous[key] as Json, nextObj[key] as Json, key);
    }
    return target;
  }
  if (Array.isArray(target) && Array.isArray(previous) && Array.isArray(next)) {
    const key = mergeKeyFor(field, [...previous, ...next]);
    if (!key) return target;
    return target
      .filter((item) => !(previous.some((p) => sameKey(p, item, key)) && !next.some((n) => sameKey(n, item, key))))
      .map((item) => {
        const p = previous.find((x) => sameKey(x, item, key));
        const n = next.find((x) => sameKey(x, item, key));
        return p && n ? pruneApplied(item, p, n) : item;
      });
  }
  return target;
}

/** The `fieldsV1` set of a configuration, for managedFields. */
export function fieldsV1(value: Json, field = ''): JsonObject {
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'apiVersion' || k === 'kind' || (field === 'metadata' && (k === 'name' || k === 'namespace'))) continue;
      out[`f:${k}`] = fieldsV1(v, k);
    }
    return out;
  }
  if (Array.isArray(value)) {
    const key = mergeKeyFor(field, value);
    const out: JsonObject = {};
    if (key) {
      for (const item of value) if (isObject(item)) out[`k:${JSON.stringify({ [key]: item[key] ?? null })}`] = { '.': {}, ...fieldsV1(item) };
    } else if (SET_LISTS.has(field)) {
      for (const item of value) out[`v:${JSON.stringify(item)}`] = {};
    }
    return out;
  }
  return {};
}

/** JSON with sorted keys, for comparing objects whatever order their keys were written in. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}
