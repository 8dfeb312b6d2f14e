/**
 * Loading the Kubernetes client the way kubectl does, and one place that sends every request:
 * deadlines, cancellation, the content type of patches, and the translation of failures into
 * SparkErrors. This module imports @kubernetes/client-node, which is heavy: commands reach it only
 * through a dynamic `import()`.
 */
import * as k8s from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';
import { createGunzip } from 'node:zlib';
import { SparkError } from '../../errors.js';
import { registerSecret } from '../../redact.js';
import { describeKubeconfigSearch, hasClusterConfig, inCluster, kubeconfigPaths, type ClusterSettings } from './cluster-config.js';
import { mapKubeError, type KubeOperation, type KubeTarget } from './errors.js';

export { hasClusterConfig, kubeconfigPaths, type ClusterSettings };

/** Deadline of one ordinary request; waits have their own, longer deadlines. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Merge kubeconfig files like kubectl: the first file to define a name wins, and the current context
 * comes from the first file that sets one (the client's own merge throws on duplicate names instead).
 */
function loadFiles(paths: string[]): k8s.KubeConfig {
  const clusters = new Map<string, k8s.Cluster>();
  const users = new Map<string, k8s.User>();
  const contexts = new Map<string, k8s.Context>();
  let currentContext = '';
  for (const path of paths) {
    const one = new k8s.KubeConfig();
    try {
      one.loadFromFile(path);
    } catch (error) {
      throw new SparkError(`Cannot read the kubeconfig ${path}: ${(error as Error).message}`, {
        hint: 'Fix or remove the file (kubectl config view shows what kubectl makes of it), or point KUBECONFIG elsewhere.',
        code: 'KUBECONFIG_INVALID',
      });
    }
    for (const c of one.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of one.users) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of one.contexts) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!currentContext && one.currentContext) currentContext = one.currentContext;
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext });
  return kc;
}

const NO_CLUSTER_HINT =
  'To use a cluster, set KUBECONFIG or pass --context (kubectl config get-contexts lists them).\nTo try spark on this machine instead: spark create --runtime local';

/** The kubeconfig for these settings; a SparkError when there is none or the context does not exist. */
export function loadKubeConfig(settings: ClusterSettings, env: NodeJS.ProcessEnv = process.env): k8s.KubeConfig {
  const paths = kubeconfigPaths(settings, env);
  let kc: k8s.KubeConfig;
  if (paths.length > 0) {
    kc = loadFiles(paths);
  } else if (inCluster(env)) {
    kc = new k8s.KubeConfig();
    kc.loadFromCluster();
  } else {
    throw new SparkError(`No Kubernetes cluster is configured: no kubeconfig was found (${describeKubeconfigSearch(settings, env)}) and spark is not running inside a cluster.`, {
      hint: NO_CLUSTER_HINT,
      code: 'NO_CLUSTER',
    });
  }
  const wanted = settings.SPARK_CONTEXT;
  if (wanted) {
    if (!kc.getContextObject(wanted)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new SparkError(`The kube context "${wanted}" does not exist${paths.length ? ` in ${paths.join(', ')}` : ''}.`, {
        hint: `Known contexts: ${known.join(', ') || 'none'}. See them with: kubectl config get-contexts`,
        code: 'KUBE_CONTEXT_MISSING',
        exitCode: 2,
      });
    }
    kc.setCurrentContext(wanted);
  }
  if (!kc.currentContext || !kc.getContextObject(kc.currentContext)) {
    throw new SparkError(kc.currentContext ? `The current kube context "${kc.currentContext}" does not exist.` : 'No kube context is selected (the kubeconfig has no current-context).', {
      hint: `Choose one: kubectl config use-context <name>, or pass --context. kubectl config get-contexts lists them.\nTo try spark on this machine instead: spark create --runtime local`,
      code: 'NO_CLUSTER',
    });
  }
  if (!kc.getCurrentCluster()) {
    throw new SparkError(`The kube context "${kc.currentContext}" names a cluster that is not in the kubeconfig.`, {
      hint: 'Check it with: kubectl config view --minify',
      code: 'KUBECONFIG_INVALID',
    });
  }
  registerUserSecrets(kc.getCurrentUser());
  return plainHttpAllowed(kc);
}

/**
 * kubectl talks plain HTTP to an `http://` server (`kubectl proxy`, local test servers); the client
 * refuses unless the cluster is marked insecure-skip-tls-verify — meaningless without TLS — so mark it.
 */
function plainHttpAllowed(kc: k8s.KubeConfig): k8s.KubeConfig {
  if (!kc.clusters.some((c) => c.server.startsWith('http:') && !c.skipTLSVerify)) return kc;
  const clusters = kc.clusters.map((c) => (c.server.startsWith('http:') ? { ...c, skipTLSVerify: true } : c));
  const out = new k8s.KubeConfig();
  out.loadFromOptions({ clusters, users: kc.users, contexts: kc.contexts, currentContext: kc.currentContext });
  return out;
}

/** Tokens and passwords of the kubeconfig user must never be printed. */
function registerUserSecrets(user: k8s.User | null): void {
  if (!user) return;
  registerSecret(user.token);
  registerSecret(user.password);
  for (const value of Object.values(user.authProvider?.config ?? {})) {
    if (typeof value === 'string' && value.length >= 16) registerSecret(value);
  }
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

/** A connected client: the APIs spark uses, bound to one context and namespace. */
export class KubeClient {
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly authorization: k8s.AuthorizationV1Api;
  readonly version: k8s.VersionApi;
  readonly apis: k8s.ApisApi;
  readonly target: KubeTarget;

  constructor(
    readonly kc: k8s.KubeConfig,
    readonly namespace: string,
    readonly defaultTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  ) {
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.authorization = kc.makeApiClient(k8s.AuthorizationV1Api);
    this.version = kc.makeApiClient(k8s.VersionApi);
    this.apis = kc.makeApiClient(k8s.ApisApi);
    this.target = { context: kc.currentContext, server: kc.getCurrentCluster()?.server ?? '(unknown server)', namespace };
  }

  /**
   * Send one request: `fn` receives the per-call options (deadline, cancellation, content type),
   * every failure comes back as a SparkError naming the operation and the context.
   */
  async call<T>(operation: KubeOperation, fn: (options: k8s.ConfigurationOptions) => Promise<T>, request: RequestOptions = {}): Promise<T> {
    const { signal, timeout } = this.deadline(request);
    const middleware: k8s.ObservableMiddleware = {
      pre: (context) => {
        context.setSignal(signal);
        if (request.contentType) context.setHeaderParam('Content-Type', request.contentType);
        if (request.accept) context.setHeaderParam('Accept', request.accept);
        // Tokens from exec plugins and in-cluster files are only known once applied to a request.
        registerAuthorization(context.getHeaders().Authorization);
        return new k8s.Observable(Promise.resolve(context));
      },
      post: (response) => new k8s.Observable(Promise.resolve(response)),
    };
    try {
      return await fn({ middleware: [middleware], middlewareMergeStrategy: 'append' });
    } catch (error) {
      throw mapKubeError(error, this.target, operation, { aborted: request.signal?.aborted === true, timedOut: timeout.aborted });
    }
  }

  /**
   * LIST as plain JSON, each item reduced by `keep` as soon as the body is parsed. The typed client
   * would build a second, typed copy of every object: at 1,000 sparks, five lists held twice outgrow
   * the memory budget. Auth, TLS and proxies come from the kubeconfig as for the typed client.
   */
  async list<T>(operation: KubeOperation, path: string, query: Record<string, string>, keep: (item: never) => T, request: RequestOptions = {}): Promise<T[]> {
    const { signal, timeout } = this.deadline(request);
    try {
      const url = new URL(this.target.server.replace(/\/+$/, '') + path);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      // Lists are large and compress well: API servers gzip them for clients that accept it.
      const options: https.RequestOptions = { method: 'GET', headers: { Accept: request.accept ?? 'application/json', 'Accept-Encoding': 'gzip' }, signal };
      await this.kc.applyToHTTPSOptions(options);
      registerAuthorization((options.headers as Record<string, string | undefined>).Authorization);
      const body = await getText(url, options);
      return ((JSON.parse(body) as { items?: never[] }).items ?? []).map(keep);
    } catch (error) {
      throw mapKubeError(error, this.target, operation, { aborted: request.signal?.aborted === true, timedOut: timeout.aborted });
    }
  }

  private deadline(request: RequestOptions): { signal: AbortSignal; timeout: AbortSignal } {
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.defaultTimeoutMs);
    return { timeout, signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout };
  }

  /** Like call, but a 404 is `undefined` instead of an error. */
  async find<T>(operation: KubeOperation, fn: (options: k8s.ConfigurationOptions) => Promise<T>, request: RequestOptions = {}): Promise<T | undefined> {
    try {
      return await this.call(operation, fn, request);
    } catch (error) {
      if (error instanceof SparkError && error.code === 'KUBE_NOT_FOUND') return undefined;
      throw error;
    }
  }
}

function registerAuthorization(header: string | undefined): void {
  if (header) registerSecret(header.replace(/^(Bearer|Basic)\s+/i, ''));
}

/** The body of a GET; a status other than 2xx rejects with the client's own ApiException. */
function getText(url: URL, options: https.RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'http:' ? http : https).request(url, options, (response) => {
      const body = response.headers['content-encoding'] === 'gzip' ? response.pipe(createGunzip()) : response;
      // Appending strings keeps one copy of the body; collecting Buffers keeps two.
      body.setEncoding('utf8');
      let text = '';
      body.on('data', (chunk: string) => (text += chunk));
      // pipe() does not forward errors: listen on both ends when the body is gunzipped.
      if (body !== response) response.on('error', reject);
      body.on('error', reject);
      body.on('end', () => {
        const code = response.statusCode ?? 0;
        if (code >= 200 && code < 300) resolve(text);
        else reject(new k8s.ApiException(code, `HTTP ${code}`, text, {}));
      });
    });
    request.on('error', reject);
    request.end();
  });
}

/** Open a client for these settings (kubeconfig the kubectl way; namespace default `spark`). */
export function openKubeClient(settings: ClusterSettings, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): KubeClient {
  const kc = loadKubeConfig(settings, options.env ?? process.env);
  return new KubeClient(kc, settings.SPARK_NAMESPACE || 'spark', options.timeoutMs);
}

export { k8s };
