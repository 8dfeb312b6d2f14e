/**
 * The HTTP side: routing of Kubernetes REST paths, request counters, fault injection, the access
 * rules behind SelfSubjectAccessReview (and 403s), watch streams, tables and Status errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { PATCH_TYPES, type ObjectApi, type PropagationPolicy } from './api.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, openApiDocument, openApiRoot, SERVER_VERSION } from './discovery.js';
import { isObject, type JsonObject } from './patch.js';
import { decodeAccessReview, decodeObject, isProtobuf } from './protobuf.js';
import { apiVersionOf, findResource, REVIEW_RESOURCES, type ResourceDef } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, badRequest, defaultReason } from './status.js';
import { eventFor, type EventType, type KubeObject, type Store, type WatchFilter } from './store.js';
import { toTable, wantsTable, type IncludeObject } from './tables.js';

export type RequestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** A request as the counters, faults and access rules see it. */
export interface RequestInfo {
  verb: RequestVerb;
  /** Plural resource, with `/subresource` when there is one: `deployments`, `deployments/scale`. */
  resource: string;
  group: string;
  namespace?: string;
  name?: string;
}

/** Make matching requests fail. `times` defaults to 1 (Infinity: until cleared). */
export interface FaultRule {
  verb?: RequestVerb;
  resource?: string;
  name?: string;
  namespace?: string;
  times?: number;
  /** HTTP status of the Status answered (default 500). */
  code?: number;
  reason?: string;
  message?: string;
  /** `reset`: drop the connection; `hang`: never answer (until the server stops). */
  action?: 'status' | 'reset' | 'hang';
}

export interface FaultHandle {
  /** How many requests this rule has failed so far. */
  readonly hits: number;
  /** Requests it will still fail. */
  readonly remaining: number;
  cancel(): void;
}

/** A denied verb on a resource: SelfSubjectAccessReview says no, and (unless `enforce: false`) requests get 403. */
export interface AccessRule {
  verb: RequestVerb | '*';
  resource: string;
  group?: string;
  namespace?: string;
  enforce?: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  key: string;
  status: number;
  /** The response body was gzipped (the client accepted it and the body was large). */
  gzipped?: boolean;
}

export class Counters {
  private readonly counts = new Map<string, number>();
  /** `list deployments`, `get pods`, `watch pods`, `patch deployments/scale`, `GET /api` (non-resource paths). */
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  add(key: string): void {
    this.counts.set(key, this.get(key) + 1);
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
  /** Total of resource requests (not discovery), optionally only those whose key matches. */
  total(filter: (key: string) => boolean = () => true): number {
    let n = 0;
    for (const [k, v] of this.counts) if (!k.startsWith('GET /') && filter(k)) n += v;
    return n;
  }
  reset(): void {
    this.counts.clear();
  }
}

interface Fault extends FaultRule {
  left: number;
  hit: number;
}

export interface ServerState {
  api: ObjectApi;
  store: Store;
  counters: Counters;
  faults: Fault[];
  access: AccessRule[];
  log: LoggedRequest[];
  token?: string;
  userName: string;
  bookmarkIntervalMs: number;
  /** Open watch streams and hung requests, ended on stop. */
  streams: Set<ServerResponse>;
  /** Told the counter key of every request as it arrives. */
  requestListeners: Set<(key: string) => void>;
  /** Container log lines by deployment name (its pods' logs: pods/log), and the followers. */
  podLogs: Map<string, { lines: string[]; followers: Set<(line: string) => void> }>;
  address: () => string;
}

function counted(state: ServerState, key: string): void {
  state.counters.add(key);
  for (const l of state.requestListeners) l(key);
}

export function addFault(state: ServerState, rule: FaultRule): FaultHandle {
  const fault: Fault = { ...rule, left: rule.times ?? 1, hit: 0 };
  state.faults.push(fault);
  return {
    get hits() {
      return fault.hit;
    },
    get remaining() {
      return fault.left;
    },
    cancel: () => {
      fault.left = 0;
    },
  };
}

/** A real API server gzips responses over 128 KiB for clients that accept it (kubectl and client-node do). */
const GZIP_THRESHOLD_BYTES = 128 * 1024;

function send(res: ServerResponse, code: number, body: unknown, acceptEncoding = ''): boolean {
  const text = JSON.stringify(body);
  if (/\bgzip\b/.test(acceptEncoding) && text.length > GZIP_THRESHOLD_BYTES) {
    const compressed = gzipSync(text);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': compressed.length, Vary: 'Accept-Encoding' });
    res.end(compressed);
    return true;
  }
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
  return false;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(raw: Buffer, contentType: string): unknown {
  if (isProtobuf(raw)) {
    const decoded = decodeObject(raw) ?? decodeAccessReview(raw);
    if (decoded) return decoded;
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  if (contentType.includes('protobuf') || contentType.includes('cbor')) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (the fake API server decodes protobuf only for Namespace, ConfigMap, Secret and SelfSubjectAccessReview)',
    );
  }
  try {
    return contentType.includes('yaml') ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (error) {
    throw badRequest(`error decoding ${contentType.includes('yaml') ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
}

interface Route {
  def?: ResourceDef;
  review?: (typeof REVIEW_RESOURCES)[number];
  group: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** `/api/v1/...` or `/apis/<group>/<version>/...` → what it addresses, or undefined for other paths. */
function route(path: string): Route | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) [group, version, rest] = ['', parts[1] ?? '', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, version, rest] = [parts[1] ?? '', parts[2] ?? '', parts.slice(3)];
  else return undefined;
  if (rest[0] === 'watch') rest = rest.slice(1); // the deprecated /watch/ prefix
  let namespace: string | undefined;
  // `/namespaces/<ns>/<resource>...`, but `/namespaces/<name>` and `/namespaces/<name>/status` address the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (!plural || extra.length > 0) return undefined;
  const review = REVIEW_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
  if (review) return { review, group, name, subresource };
  const def = findResource(group, version, plural);
  if (!def) return { group, namespace, name: plural };
  if (!def.namespaced && namespace !== undefined) return { group, namespace, name: plural };
  return { def, group, namespace, name, subresource };
}

function verbOf(method: string, r: Route, query: URLSearchParams): RequestVerb {
  const watch = query.get('watch');
  switch (method) {
    case 'GET':
      if (watch === 'true' || watch === '1') return 'watch';
      return r.name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return r.name ? 'delete' : 'deletecollection';
    default:
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }
}

function matchesRule(rule: { verb?: string; resource?: string; name?: string; namespace?: string; group?: string }, info: RequestInfo): boolean {
  if (rule.verb && rule.verb !== '*' && rule.verb !== info.verb) return false;
  if (rule.resource && rule.resource !== '*' && rule.resource !== info.resource) return false;
  if (rule.name && rule.name !== info.name) return false;
  if (rule.namespace && rule.namespace !== info.namespace) return false;
  if (rule.group !== undefined && rule.group !== info.group) return false;
  return true;
}

function forbidden(state: ServerState, info: RequestInfo): ApiError {
  const [plural, sub] = info.resource.split('/');
  const qualified = info.group ? `${plural ?? ''}.${info.group}` : (plural ?? '');
  const scope = info.namespace ? `in the namespace "${info.namespace}"` : 'at the cluster scope';
  return new ApiError(
    403,
    'Forbidden',
    `${qualified}${info.name ? ` "${info.name}"` : ''} is forbidden: User "${state.userName}" cannot ${info.verb} resource "${plural ?? ''}"${sub ? ` with subresource "${sub}"` : ''} in API group "${info.group}" ${scope}`,
    { name: info.name, group: info.group || undefined, kind: plural },
  );
}

function denied(state: ServerState, info: RequestInfo, enforcedOnly: boolean): boolean {
  return state.access.some((rule) => (!enforcedOnly || rule.enforce !== false) && matchesRule(rule, info));
}

/**
 * `limit` and `continue`, as kubectl uses them (500 at a time by default): a page, and a token for
 * the rest with the count left. Unlike a real server, later pages are not a snapshot of the first.
 */
function paginate(all: KubeObject[], query: URLSearchParams, resourceVersion: string): { items: KubeObject[]; page: JsonObject } {
  const token = query.get('continue');
  let from = 0;
  if (token) {
    let after: unknown;
    try {
      after = (JSON.parse(Buffer.from(token, 'base64url').toString()) as { after?: unknown }).after;
    } catch {
      after = undefined;
    }
    if (typeof after !== 'string') throw badRequest('continue key is not valid: invalid continue token');
    from = all.findIndex((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}` > after);
    if (from < 0) from = all.length;
  }
  const limit = Number(query.get('limit') ?? 0);
  const rest = all.slice(from);
  if (!(limit > 0) || rest.length <= limit) return { items: rest, page: { resourceVersion } };
  const items = rest.slice(0, limit);
  const last = items[items.length - 1]!;
  const next = Buffer.from(JSON.stringify({ after: `${last.metadata.namespace ?? ''}/${last.metadata.name ?? ''}` })).toString('base64url');
  return { items, page: { resourceVersion, continue: next, remainingItemCount: rest.length - limit } };
}

/** Items of a list carry no kind/apiVersion on a real server: clients must not rely on them. */
function listItem(o: KubeObject): unknown {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = o;
  return rest;
}

export async function handle(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const method = req.method ?? 'GET';
  const logged: LoggedRequest = { method, path: url.pathname, query: url.search, key: '', status: 0 };
  state.log.push(logged);
  if (state.log.length > 5000) state.log.splice(0, state.log.length - 5000);
  const reply = (code: number, body: unknown): void => {
    logged.status = code;
    logged.gzipped = send(res, code, body, req.headers['accept-encoding']);
  };
  try {
    if (state.token && req.headers.authorization !== `Bearer ${state.token}`) {
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    }
    const r = route(url.pathname);
    if (!r) {
      logged.key = `${method} ${url.pathname}`;
      counted(state, logged.key);
      const body = nonResource(state, url.pathname);
      if (body === undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      return reply(200, body);
    }
    const verb = verbOf(method, r, url.searchParams);
    const plural = r.def?.plural ?? r.review?.plural ?? r.name ?? '';
    const info: RequestInfo = {
      verb,
      resource: r.subresource ? `${plural}/${r.subresource}` : plural,
      group: r.group,
      namespace: r.namespace,
      name: r.def || r.review ? r.name : undefined,
    };
    logged.key = `${verb} ${info.resource}`;
    counted(state, logged.key);
    if (!r.def && !r.review) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (denied(state, info, true)) throw forbidden(state, info);
    const fault = state.faults.find((f) => f.left > 0 && matchesRule(f, info));
    if (fault) {
      fault.left--;
      fault.hit++;
      if (fault.action === 'reset') {
        logged.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault.action === 'hang') {
        state.streams.add(res);
        return;
      }
      const code = fault.code ?? 500;
      throw new ApiError(code, fault.reason ?? defaultReason(code), fault.message ?? `injected fault: ${verb} ${info.resource}${info.name ? ` "${info.name}"` : ''} failed`, {
        name: info.name,
        group: info.group || undefined,
        kind: plural,
      });
    }
    const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
    const raw = method === 'GET' ? Buffer.alloc(0) : await readBody(req);
    if (r.review) {
      if (verb !== 'create') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      return reply(201, accessReview(state, parseBody(raw, contentType)));
    }
    const def = r.def as ResourceDef;
    if (verb === 'watch') return watch(state, def, r, url.searchParams, req, res, logged);
    if (def.plural === 'pods' && r.subresource === 'log' && verb === 'get') return podLog(state, r, url.searchParams, res, logged);
    const { code, body } = dispatch(state, def, r, verb, url.searchParams, parseBody(raw, contentType), contentType, req.headers.accept);
    return reply(code, body);
  } catch (error) {
    const e = error instanceof ApiError ? error : new ApiError(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`);
    if (!(error instanceof ApiError) && process.env.FAKE_KUBE_DEBUG) console.error(error);
    if (!res.headersSent) reply(e.code, e.toStatus());
  }
}

function nonResource(state: ServerState, path: string): unknown {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/version') return SERVER_VERSION;
  if (p === '/api') return apiVersions(state.address());
  if (p === '/apis') return apiGroupList();
  if (p === '/openapi/v3') return openApiRoot();
  if (p.startsWith('/openapi/v3/')) return openApiDocument(p.slice('/openapi/v3/'.length));
  const m = /^\/apis\/([^/]+)$/.exec(p);
  if (m) return apiGroup(m[1] ?? '');
  const gv = /^\/api\/(v1)$/.exec(p) ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(p);
  if (gv) return apiResourceList(gv[1] ?? '');
  return undefined; // /openapi/v2 included: kubectl falls back from it
}

function accessReview(state: ServerState, body: unknown): unknown {
  const review = isObject(body) ? body : {};
  const spec = isObject(review.spec) ? review.spec : {};
  const attrs = isObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  let allowed = true;
  if (attrs) {
    const resource = `${String(attrs.resource ?? '')}${attrs.subresource ? `/${String(attrs.subresource)}` : ''}`;
    const info: RequestInfo = {
      verb: String(attrs.verb ?? '') as RequestVerb,
      resource,
      group: String(attrs.group ?? ''),
      namespace: attrs.namespace ? String(attrs.namespace) : undefined,
      name: attrs.name ? String(attrs.name) : undefined,
    };
    allowed = !denied(state, info, false);
  }
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: allowed ? { allowed: true, reason: 'allowed by the fake cluster' } : { allowed: false, denied: true, reason: 'denied by a test rule of the fake cluster' },
  };
}

function writeOptions(query: URLSearchParams): { dryRun: boolean; fieldManager?: string; force: boolean } {
  const fieldManager = query.get('fieldManager') ?? undefined;
  if (fieldManager !== undefined && fieldManager.length > 128) throw badRequest('fieldManager: Too long: must have at most 128 bytes');
  return { dryRun: query.getAll('dryRun').includes('All'), fieldManager, force: query.get('force') === 'true' };
}

function dispatch(
  state: ServerState,
  def: ResourceDef,
  r: Route,
  verb: RequestVerb,
  query: URLSearchParams,
  body: unknown,
  contentType: string,
  accept: string | undefined,
): { code: number; body: unknown } {
  const { api, store } = state;
  const ns = def.namespaced ? r.namespace : undefined;
  const name = r.name ?? '';
  const opts = writeOptions(query);
  const table = wantsTable(accept);
  const include = (query.get('includeObject') ?? 'Metadata') as IncludeObject;
  const sub = r.subresource;
  if (sub && sub !== 'status' && !(sub === 'scale' && (def.plural === 'deployments' || def.plural === 'replicasets'))) {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
  if (sub === 'status' && !def.hasStatus) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (def.namespaced && ns === undefined && verb !== 'list') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');

  if (sub === 'scale') {
    if (verb === 'get') return { code: 200, body: api.getScale(def, ns, name) };
    if (verb === 'update') return { code: 200, body: api.updateScale(def, ns, name, () => body, opts) };
    if (verb === 'patch') {
      return {
        code: 200,
        body: api.updateScale(def, ns, name, (scale) => patchScale(scale, contentType, body), opts),
      };
    }
    throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }
  const subOpts = { ...opts, subresource: sub === 'status' ? ('status' as const) : undefined };

  switch (verb) {
    case 'get': {
      const o = api.get(def, ns, name);
      return { code: 200, body: table ? toTable(def, [o], o.metadata.resourceVersion ?? '', include) : o };
    }
    case 'list': {
      const labels = parseLabelSelector(query.get('labelSelector'));
      const fields = parseFieldSelector(query.get('fieldSelector'), def.fields);
      const rv = String(store.resourceVersion);
      const { items, page } = paginate(api.list(def, ns, labels, fields), query, rv);
      if (table) return { code: 200, body: { ...(toTable(def, items, rv, include) as JsonObject), metadata: page } };
      // Metadata-only lists, as real API servers serve them (spark asks for ConfigMaps this way).
      if (accept && /as=PartialObjectMetadataList/.test(accept) && /g=meta\.k8s\.io/.test(accept)) {
        const meta = { apiVersion: 'meta.k8s.io/v1' };
        return { code: 200, body: { kind: 'PartialObjectMetadataList', ...meta, metadata: page, items: items.map((o) => ({ kind: 'PartialObjectMetadata', ...meta, metadata: o.metadata })) } };
      }
      return { code: 200, body: { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: page, items: items.map(listItem) } };
    }
    case 'create':
      if (name) throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      return { code: 201, body: api.create(def, ns, body, opts) };
    case 'update':
      return { code: 200, body: api.replace(def, ns, name, body, subOpts) };
    case 'patch': {
      const existed = api.find(def, ns, name) !== undefined;
      const o = api.patch(def, ns, name, contentType, body, subOpts);
      return { code: existed ? 200 : 201, body: o };
    }
    case 'delete': {
      const options = isObject(body) ? body : {};
      const policy = (options.propagationPolicy ?? query.get('propagationPolicy') ?? (options.orphanDependents === true || query.get('orphanDependents') === 'true' ? 'Orphan' : undefined)) as
        | PropagationPolicy
        | undefined;
      if (policy && !['Background', 'Foreground', 'Orphan'].includes(policy)) throw badRequest(`propagationPolicy: Unsupported value: "${String(policy)}"`);
      const dryRun = opts.dryRun || (Array.isArray(options.dryRun) && options.dryRun.includes('All'));
      const { object, pending } = api.delete(def, ns, name, {
        propagationPolicy: policy,
        dryRun,
        preconditions: isObject(options.preconditions) ? (options.preconditions as { uid?: string; resourceVersion?: string }) : undefined,
      });
      return { code: pending ? 202 : 200, body: object };
    }
    case 'deletecollection': {
      const labels = parseLabelSelector(query.get('labelSelector'));
      const fields = parseFieldSelector(query.get('fieldSelector'), def.fields);
      const options = isObject(body) ? body : {};
      const items = api.deleteCollection(def, ns, labels, fields, {
        propagationPolicy: (options.propagationPolicy ?? query.get('propagationPolicy') ?? undefined) as PropagationPolicy | undefined,
        dryRun: opts.dryRun,
      });
      return { code: 200, body: { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(store.resourceVersion) }, items: items.map(listItem) } };
    }
    default:
      throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }
}

function patchScale(scale: KubeObject, contentType: string, body: unknown): unknown {
  // The scale object is tiny: every patch flavour reduces to replacing spec.replicas or a JSON patch on it.
  if (contentType === PATCH_TYPES.json) {
    const ops = Array.isArray(body) ? body : [];
    let replicas = (scale.spec as JsonObject).replicas;
    for (const op of ops) {
      if (isObject(op) && op.path === '/spec/replicas' && (op.op === 'replace' || op.op === 'add')) replicas = op.value;
    }
    return { ...scale, spec: { replicas } };
  }
  const spec = isObject(body) && isObject(body.spec) ? body.spec : {};
  const metadata = isObject(body) && isObject(body.metadata) ? body.metadata : {};
  return { ...scale, metadata: { ...scale.metadata, ...metadata }, spec: { ...(scale.spec as JsonObject), ...spec } };
}

// ------------------------------------------------------------------ pods/log

/** A pod's container log as text; with follow=true the stream stays open and gets new lines. */
function podLog(state: ServerState, r: Route, query: URLSearchParams, res: ServerResponse, logged: LoggedRequest): void {
  const pod = state.store.get(r.def!, r.namespace, r.name ?? '');
  if (!pod) throw new ApiError(404, 'NotFound', `pods "${r.name ?? ''}" not found`, { name: r.name, kind: 'pods' });
  const entry = [...state.podLogs.entries()].find(([deployment]) => (r.name ?? '').startsWith(`${deployment}-`))?.[1];
  logged.status = 200;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  for (const line of entry?.lines ?? []) res.write(`${line}\n`);
  if (query.get('follow') !== 'true' || !entry) {
    res.end();
    return;
  }
  const follower = (line: string): void => void res.write(`${line}\n`);
  entry.followers.add(follower);
  state.streams.add(res);
  res.on('close', () => {
    entry.followers.delete(follower);
    state.streams.delete(res);
  });
}

// ------------------------------------------------------------------ watch

function watch(state: ServerState, def: ResourceDef, r: Route, query: URLSearchParams, req: IncomingMessage, res: ServerResponse, logged: LoggedRequest): void {
  const { store } = state;
  const filter: WatchFilter = {
    def,
    namespace: def.namespaced ? r.namespace : undefined,
    labels: parseLabelSelector(query.get('labelSelector')),
    fields: parseFieldSelector(query.get('fieldSelector'), def.fields),
  };
  if (r.name) filter.fields = [...filter.fields, { path: 'metadata.name', negate: false, value: r.name }];
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  const initial = query.get('sendInitialEvents') === 'true';
  const rvParam = query.get('resourceVersion') ?? '';
  if (initial) {
    if (query.get('resourceVersionMatch') !== 'NotOlderThan' || !bookmarks) {
      throw new ApiError(422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan and allowWatchBookmarks to true', {
        kind: 'ListOptions',
        group: 'meta.k8s.io',
      });
    }
  }
  const start = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
  if (start !== undefined && !Number.isFinite(start)) throw badRequest(`invalid resource version: ${rvParam}`);
  const replay = start !== undefined && !initial ? store.changesSince(start) : [];

  logged.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  state.streams.add(res);
  const asTable = wantsTable(req.headers.accept);
  const include = (query.get('includeObject') ?? 'Metadata') as IncludeObject;
  const write = (type: EventType | 'BOOKMARK' | 'ERROR', object: unknown): void => {
    if (res.writableEnded) return;
    const out = asTable && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') ? toTable(def, [object as KubeObject], (object as KubeObject).metadata.resourceVersion ?? '', include) : object;
    res.write(`${JSON.stringify({ type, object: out })}\n`);
  };
  const cleanups: (() => void)[] = [];
  const end = (): void => {
    for (const c of cleanups.splice(0)) c();
    state.streams.delete(res);
    if (!res.writableEnded) res.end();
  };
  const bookmark = (annotations?: Record<string, string>): void =>
    write('BOOKMARK', { kind: def.kind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(store.resourceVersion), ...(annotations ? { annotations } : {}) } });

  if (replay === undefined) {
    write('ERROR', new ApiError(410, 'Expired', `too old resource version: ${rvParam} (${store.oldestWatchable})`).toStatus());
    end();
    return;
  }
  if (start === undefined || initial) {
    for (const o of store.list(def, filter.namespace)) if (eventFor(filter, { rv: 0, type: 'ADDED', def, object: o })) write('ADDED', o);
    if (initial) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    for (const change of replay) {
      const type = eventFor(filter, change);
      if (type) write(type, change.object);
    }
  }
  cleanups.push(store.watch({ ...filter, send: (type, object) => write(type, object) }));
  if (bookmarks) {
    const interval = setInterval(() => bookmark(), state.bookmarkIntervalMs);
    cleanups.push(() => clearInterval(interval));
  }
  const timeout = Number(query.get('timeoutSeconds') ?? '0');
  if (timeout > 0) {
    const timer = setTimeout(end, timeout * 1000);
    cleanups.push(() => clearTimeout(timer));
  }
  res.on('close', end);
}
