/**
 * Kubernetes API failures → SparkError, at the adapter's boundary. Classification uses HTTP status
 * codes, Status `reason`/`details` and system error codes — never the text of a message, which
 * differs between servers and versions. Nothing here imports the client library, so it stays cheap.
 */
import { SparkError } from '../../errors.js';

/** Which cluster a request went to, for messages that tell the user what to check. */
export interface KubeTarget {
  context: string;
  server: string;
  namespace: string;
}

/** What spark was doing, so a 403 can name the missing permission and a 404 the missing object. */
export interface KubeOperation {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
  /** Plural resource, e.g. deployments, persistentvolumeclaims, selfsubjectaccessreviews. */
  resource: string;
  /** API group: '' for the core group, 'apps', 'authorization.k8s.io'. */
  group?: string;
  name?: string;
  /** Cluster-scoped requests (namespaces, discovery) carry no namespace. */
  clusterScoped?: boolean;
}

/** The Status object an API server sends with an error. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ reason?: string; message?: string; field?: string }> };
}

const KIND_OF_RESOURCE: Record<string, string> = {
  deployments: 'Deployment',
  services: 'Service',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  configmaps: 'ConfigMap',
  secrets: 'Secret',
  pods: 'Pod',
  events: 'Event',
  namespaces: 'Namespace',
};

export function kindOf(resource: string): string {
  return KIND_OF_RESOURCE[resource] ?? resource;
}

function qualified(op: KubeOperation): string {
  return op.group ? `${op.resource}.${op.group}` : op.resource;
}

function describe(op: KubeOperation, target: KubeTarget): string {
  const what = op.name ? `${kindOf(op.resource)} ${op.name}` : qualified(op);
  return op.clusterScoped ? what : `${what} in namespace ${target.namespace}`;
}

/** The Status carried by an ApiException (`body` is a JSON string in client-node 1.x, sometimes parsed). */
export function statusOf(error: unknown): KubeStatus | undefined {
  const body = (error as { body?: unknown } | undefined)?.body;
  if (!body) return undefined;
  if (typeof body === 'object') return body as KubeStatus;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as KubeStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** The HTTP status of a failed request: ApiException.code, or statusCode on the client's Watch errors. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EADDRNOTAVAIL', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);
const TLS_CODE = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH$)/;

/** The system error code of a network failure, looking through `cause` chains (node-fetch, undici). */
export function systemCodeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

const CONNECTION_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
};

function checkCluster(target: KubeTarget): string {
  return `Check the cluster is up and the context is the right one: kubectl --context ${target.context} cluster-info\nOther contexts: kubectl config get-contexts (choose with --context).`;
}

export interface MapOptions {
  /** The caller's signal fired (Ctrl-C, or the end of an outer wait). */
  aborted?: boolean;
  /** The request's own deadline passed. */
  timedOut?: boolean;
}

/** Translate anything a Kubernetes request threw into a SparkError (SparkErrors pass through). */
export function mapKubeError(error: unknown, target: KubeTarget, op: KubeOperation, options: MapOptions = {}): SparkError {
  if (error instanceof SparkError) return error;
  const on = `context ${target.context} (${target.server})`;
  if (options.aborted) return new SparkError('Interrupted.', { code: 'INTERRUPTED', cause: error });
  if (options.timedOut) {
    return new SparkError(`The Kubernetes API server of ${on} did not answer in time (${op.verb} ${describe(op, target)}).`, {
      hint: checkCluster(target),
      code: 'KUBE_TIMEOUT',
      cause: error,
    });
  }

  const status = httpStatusOf(error);
  if (status !== undefined) {
    const body = statusOf(error);
    const details = body?.details;
    switch (status) {
      case 401:
        return new SparkError(`The Kubernetes API server of ${on} rejected the credentials (401 Unauthorized).`, {
          hint: 'The credentials of this context have probably expired: log in again the way your cluster requires (re-run its login command or refresh the token), then check with kubectl auth whoami.\nSee the user of the context with: kubectl config view --minify',
          code: 'KUBE_UNAUTHORIZED',
          cause: error,
        });
      case 403: {
        // The Status names the resource (details.kind is the plural resource, details.group its group).
        const resource = details?.kind ? (details.group ? `${details.kind}.${details.group}` : details.kind) : qualified(op);
        const where = op.clusterScoped ? '' : ` in namespace ${target.namespace}`;
        // RBAC says `User "…" cannot patch resource …`; any other 403 is a policy of the cluster
        // (a ResourceQuota, an admission plugin) refusing this request, which no grant would fix.
        if (body?.message && !/ cannot [a-z]+ resource\b/.test(body.message)) {
          const quota = /exceeded quota/.test(body.message);
          return new SparkError(`The Kubernetes API server refused to ${op.verb} ${resource}${where} (context ${target.context}): ${body.message}`, {
            hint: quota
              ? `The namespace's ResourceQuota is used up: kubectl describe resourcequota -n ${target.namespace}. Delete sparks you no longer need (spark list), or ask for a larger quota.`
              : 'A policy of the cluster denied it: ask the cluster\'s administrator.',
            code: quota ? 'KUBE_QUOTA' : 'KUBE_DENIED',
            cause: error,
          });
        }
        return new SparkError(`Not allowed to ${op.verb} ${resource}${where} (context ${target.context}): spark needs the permission "${op.verb}" on "${resource}".`, {
          hint: `Grant spark's permissions: kubectl apply -f deploy/rbac.yaml (and bind the Role to your user), then check: kubectl auth can-i ${op.verb} ${resource}${op.clusterScoped ? '' : ` -n ${target.namespace}`}`,
          code: 'KUBE_FORBIDDEN',
          cause: error,
        });
      }
      case 404:
        if (details?.kind === 'namespaces' && !op.clusterScoped && op.resource !== 'namespaces') {
          return namespaceMissing(target, error);
        }
        return new SparkError(`${op.name ? `${kindOf(op.resource)} ${op.name}` : qualified(op)} was not found${op.clusterScoped ? '' : ` in namespace ${target.namespace}`} (context ${target.context}).`, {
          hint: op.resource === 'namespaces' ? 'Create it: kubectl apply -f deploy/namespace.yaml (or set SPARK_NAMESPACE).' : 'See what exists with: spark list',
          code: 'KUBE_NOT_FOUND',
          cause: error,
        });
      case 409:
        if (body?.reason === 'AlreadyExists') {
          return new SparkError(`${kindOf(op.resource)} ${op.name ?? details?.name ?? ''} already exists in namespace ${target.namespace}.`.replace('  ', ' '), {
            hint: op.name ? `Remove the old spark first: spark delete ${op.name.replace(/-(ssh|storage|config|secret)$/, '')}` : undefined,
            code: 'KUBE_ALREADY_EXISTS',
            cause: error,
          });
        }
        return new SparkError(`${describe(op, target)} was changed by someone else at the same time (409 Conflict).`, {
          hint: 'Run the command again.',
          code: 'KUBE_CONFLICT',
          cause: error,
        });
      case 410:
        return new SparkError(`The Kubernetes API server expired the watch of ${qualified(op)} (410 Gone).`, { code: 'KUBE_GONE', cause: error });
      case 422: {
        // The validation message names fields, never values of Secrets: safe and useful to show.
        const why = body?.message ? `: ${body.message}` : '';
        return new SparkError(`The Kubernetes API server refused ${describe(op, target)} as invalid${why}.`, {
          hint: 'This is a bug in spark or an incompatible cluster version; please report it with the output of kubectl version.',
          code: 'KUBE_INVALID',
          cause: error,
        });
      }
      case 429:
        return new SparkError(`The Kubernetes API server of ${on} is overloaded (429 Too Many Requests).`, { hint: 'Wait a moment and run the command again.', code: 'KUBE_THROTTLED', cause: error });
      default:
        return new SparkError(`The Kubernetes API server of ${on} failed to ${op.verb} ${describe(op, target)} (HTTP ${status}${body?.reason ? ` ${body.reason}` : ''}).`, {
          hint: status >= 500 ? `The server has a problem: kubectl --context ${target.context} get --raw /readyz?verbose` : checkCluster(target),
          code: 'KUBE_API_ERROR',
          cause: error,
        });
    }
  }

  const code = systemCodeOf(error);
  if (code && NETWORK_CODES.has(code)) {
    return new SparkError(`Cannot reach the Kubernetes API server of ${on}: ${CONNECTION_WORDS[code] ?? code}.`, {
      hint: checkCluster(target),
      code: 'KUBE_UNREACHABLE',
      cause: error,
    });
  }
  if (code && TLS_CODE.test(code)) {
    return new SparkError(`The TLS connection to the Kubernetes API server of ${on} failed (${code}).`, {
      hint: `The server's certificate does not match the kubeconfig's certificate-authority for this context. Check: kubectl --context ${target.context} cluster-info, and kubectl config view --minify (certificate-authority, server).`,
      code: 'KUBE_TLS',
      cause: error,
    });
  }
  if ((error as { name?: string } | undefined)?.name === 'AbortError') {
    return new SparkError('Interrupted.', { code: 'INTERRUPTED', cause: error });
  }
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new SparkError(`Kubernetes request failed (${op.verb} ${describe(op, target)}, ${on}): ${message}`, {
    hint: checkCluster(target),
    code: 'KUBE_FAILED',
    cause: error,
  });
}

export function namespaceMissing(target: KubeTarget, cause?: unknown): SparkError {
  return new SparkError(`The namespace "${target.namespace}" does not exist (context ${target.context}).`, {
    hint: `Create it: kubectl create namespace ${target.namespace}   (the default namespace "spark", labelled: kubectl apply -f deploy/namespace.yaml)\nor choose another with SPARK_NAMESPACE / --namespace (kubectl get namespaces lists them).`,
    code: 'NAMESPACE_MISSING',
    cause,
  });
}
