/**
 * The one place that sends every request to the API server: deadlines, cancellation, the content
 * type of patches, and the translation of failures into SparkErrors. Requests are plain REST
 * (rest.ts) with the kubeconfig read the kubectl way (kubeconfig.ts): the typed
 * @kubernetes/client-node (~120 ms to load) stays off every path but legacy auth-provider plugins.
 * Its types are still the shapes of the objects.
 */
export type * as k8s from '@kubernetes/client-node';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { SparkError } from '../../errors.js';
import { hasClusterConfig, kubeconfigPaths, type ClusterSettings } from './cluster-config.js';
import { mapKubeError, type KubeOperation, type KubeTarget } from './errors.js';
import { readKubeconfig, type ResolvedKubeconfig } from './kubeconfig.js';
import { KubeRest, type HttpRequest } from './rest.js';

export { hasClusterConfig, kubeconfigPaths, type ClusterSettings };

/**
 * Items per page of a LIST: large enough that a namespace of up to 500 sparks is one request per
 * kind, small enough that 5,000 stay within the memory budget (measured at 5,000 sparks: 1,000 a
 * page, every kind at once, peaked at 221 MiB; 500 a page with LIST_CONTINUING at ~132 MiB, as fast).
 */
export const LIST_PAGE = 500;

/** Lists that go on past their first page at the same time (the others wait their turn). */
export const LIST_CONTINUING = 2;

/** Deadline of one ordinary request; waits have their own, longer deadlines. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The kubeconfig for these settings; a SparkError when there is none or the context does not exist. */
export function loadKubeConfig(settings: ClusterSettings, env: NodeJS.ProcessEnv = process.env): ResolvedKubeconfig {
  return readKubeconfig(settings, env);
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Deadline of this request; default DEFAULT_REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Content-Type of a PATCH (server-side apply, merge patch). */
  contentType?: string;
  /** Accept header, e.g. METADATA_ONLY for lists that need only names, labels and annotations. */
  accept?: string;
}

/**
 * Ask for metadata only (what kubectl does where it needs no more), falling back to whole objects on
 * servers that cannot: a list of ConfigMaps then carries no init scripts.
 */
export const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

/**
 * Ask for the server-side Table kubectl prints (with each row's metadata when the query has
 * `includeObject=Metadata`), falling back to whole objects on servers that cannot: a Deployment's
 * READY cell says ready/desired, so the list needs neither its pod template nor its status.
 */
export const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

/** A `meta.k8s.io/v1` Table as the API server sends it. */
interface Table {
  kind: 'Table';
  columnDefinitions?: Array<{ name?: string }>;
  rows?: Array<{ cells?: unknown[]; object?: { metadata?: V1ObjectMeta } }>;
  metadata?: ListOf<never>['metadata'];
}

/** One row of a Table as a list item: the object's metadata (when the server sent it) and the cells by column name. */
export interface TableItem {
  kind: 'TableRow';
  metadata?: V1ObjectMeta;
  cells: Record<string, unknown>;
}

export function isTableItem(item: unknown): item is TableItem {
  return (item as TableItem | undefined)?.kind === 'TableRow';
}

function tableItems(table: Table): TableItem[] {
  const columns = (table.columnDefinitions ?? []).map((c) => c.name ?? '');
  return (table.rows ?? []).map((row) => ({
    kind: 'TableRow',
    metadata: row.object?.metadata,
    cells: Object.fromEntries(columns.map((name, i) => [name, row.cells?.[i]])),
  }));
}

/** The collection of a resource, e.g. /apis/apps/v1/namespaces/spark/deployments (group '' is the core API). */
export function resourcePath(group: string | undefined, resource: string, namespace?: string, name?: string, subresource?: string): string {
  const base = group ? `/apis/${group}/v1` : '/api/v1';
  const scope = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${base}${scope}/${resource}${name === undefined ? '' : `/${encodeURIComponent(name)}`}${subresource ? `/${subresource}` : ''}`;
}

/** A list as the API server sends it. */
export interface ListOf<T> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/**
 * One REST client per resolved context and credentials in a process: the Secret read, the runtime
 * and the credential stores of one command share its keep-alive connections and its exec plugin's
 * credential (the plugin runs once, not once per client).
 */
const rests = new Map<string, KubeRest>();
function sharedRest(kc: ResolvedKubeconfig, env: NodeJS.ProcessEnv): KubeRest {
  const key = JSON.stringify([kc.cluster, kc.user, env === process.env ? '' : env]);
  let rest = rests.get(key);
  if (!rest) rests.set(key, (rest = new KubeRest(kc, env)));
  return rest;
}

/** A connected client: one context and namespace, one keep-alive connection pool. */
export class KubeClient {
  readonly target: KubeTarget;
  readonly rest: KubeRest;

  constructor(
    readonly kc: ResolvedKubeconfig,
    readonly namespace: string,
    readonly defaultTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.rest = sharedRest(kc, env);
    this.target = { context: kc.currentContext, server: kc.cluster.server || '(unknown server)', namespace };
  }

  /** The path of a resource in this client's namespace. */
  path(group: string | undefined, resource: string, name?: string, subresource?: string): string {
    return resourcePath(group, resource, this.namespace, name, subresource);
  }

  /**
   * Send one request and parse its JSON answer; every failure comes back as a SparkError naming the
   * operation and the context. `body` objects are sent as JSON (server-side apply accepts JSON too).
   */
  async request<T>(operation: KubeOperation, req: Omit<HttpRequest, 'signal' | 'body' | 'contentType' | 'accept'> & { body?: unknown }, request: RequestOptions = {}): Promise<T> {
    const { signal, timeout } = this.deadline(request);
    try {
      const text = await this.rest.text({
        ...req,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        contentType: request.contentType,
        accept: request.accept,
        signal,
      });
      return (text ? JSON.parse(text) : undefined) as T;
    } catch (error) {
      throw mapKubeError(error, this.target, operation, { aborted: request.signal?.aborted === true, timedOut: timeout.aborted });
    }
  }

  /** GET one object or collection. */
  get<T>(operation: KubeOperation, path: string, query?: HttpRequest['query'], request: RequestOptions = {}): Promise<T> {
    return this.request<T>(operation, { path, query, gzip: true }, request);
  }

  /** Like get, but a 404 is `undefined` instead of an error. */
  async find<T>(operation: KubeOperation, path: string, request: RequestOptions = {}): Promise<T | undefined> {
    try {
      return await this.get<T>(operation, path, undefined, request);
    } catch (error) {
      if (error instanceof SparkError && error.code === 'KUBE_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** POST, PATCH, PUT or DELETE with a JSON body. */
  send<T>(operation: KubeOperation, method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body: unknown, request: RequestOptions = {}, query?: HttpRequest['query']): Promise<T> {
    return this.request<T>(operation, { method, path, body, query }, request);
  }

  /** Like send, but a 404 is `undefined` instead of an error. */
  async sendFound<T>(operation: KubeOperation, method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body: unknown, request: RequestOptions = {}, query?: HttpRequest['query']): Promise<T | undefined> {
    try {
      return await this.send<T>(operation, method, path, body, request, query);
    } catch (error) {
      if (error instanceof SparkError && error.code === 'KUBE_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /**
   * LIST as plain JSON in pages of LIST_PAGE items (limit/continue, as kubectl pages), each item
   * (a TableItem per row when the answer is a Table) reduced by `keep` before the next page is asked for: memory follows the page, not the namespace.
   * Asks for gzip as kubectl does. Lists made at once share the work so: their first pages at once
   * (a namespace that fits one page each costs one round trip), then at most LIST_CONTINUING lists
   * page on at a time, each to its end: the pages of four lists in flight at once left far more
   * garbage than two, and two were as fast as four.
   */
  async list<T>(operation: KubeOperation, path: string, query: Record<string, string | undefined>, keep: (item: never) => T, request: RequestOptions = {}): Promise<T[]> {
    const kept: T[] = [];
    const page = async (next: string | undefined): Promise<string | undefined> => {
      const answer = await this.get<ListOf<never> | Table>(operation, path, { ...query, limit: LIST_PAGE, continue: next }, request);
      // A Table when asked for one (TABLE) and the server speaks it; otherwise the plain list.
      const items = 'kind' in answer && answer.kind === 'Table' ? (tableItems(answer) as never[]) : ((answer as ListOf<never>).items ?? []);
      for (const item of items) kept.push(keep(item));
      return answer.metadata?.continue || undefined;
    };
    const next = await page(undefined);
    if (next) {
      await this.continuing(async () => {
        for (let more: string | undefined = next; more; ) more = await page(more);
      });
    }
    return kept;
  }

  /** Free places for lists paging on (see list), and the lists waiting for one. */
  private continuingSlots = LIST_CONTINUING;
  private continuingQueue: Array<() => void> = [];

  private async continuing(work: () => Promise<void>): Promise<void> {
    if (this.continuingSlots > 0) this.continuingSlots--;
    else await new Promise<void>((resolve) => this.continuingQueue.push(resolve));
    try {
      await work();
    } finally {
      // The place goes straight to the next list waiting, or back to the free ones.
      const next = this.continuingQueue.shift();
      if (next) next();
      else this.continuingSlots++;
    }
  }

  private deadline(request: RequestOptions): { signal: AbortSignal; timeout: AbortSignal } {
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.defaultTimeoutMs);
    return { timeout, signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout };
  }
}

/** Open a client for these settings (kubeconfig the kubectl way; namespace default `spark`). */
export function openKubeClient(settings: ClusterSettings, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): KubeClient {
  const env = options.env ?? process.env;
  const kc = loadKubeConfig(settings, env);
  return new KubeClient(kc, settings.SPARK_NAMESPACE || 'spark', options.timeoutMs, env);
}
