/** Exit codes are part of the interface: 0 ok, 1 failure, 2 usage, 130 interrupted (Ctrl-C). */
export type ExitCode = 0 | 1 | 2 | 130;

/**
 * Every code a SparkError may carry: `--json` consumers match on these, so the set is closed.
 * A new code is one more entry here (grouped by where it comes from).
 */
export const SPARK_ERROR_CODES = [
  // Any command
  'FAILED', 'USAGE', 'INTERRUPTED', 'INTERNAL', 'CANCELLED', 'UNSUPPORTED', 'NOT_FOUND', 'NAME_TAKEN',
  'CLAIM_LOST', 'CREATE_IN_FLIGHT', 'DELETE_INCOMPLETE', 'NOT_RUNNING', 'NOT_READY', 'SHELL_FAILED',
  'FORWARD_FAILED', 'PORT_IN_USE', 'ROTATE_NOT_STORED',
  // Sleep, expiry and reaching a spark
  'SLEEPING', 'INCOMPLETE', 'PROXY_FAILED', 'SSH_CONFIG_FAILED',
  // Database branching
  'SNAPSHOT_NOT_FOUND', 'TEMPLATE_NOT_FOUND', 'DB_BUSY',
  // Configuration and inputs
  'CONFIG_INVALID', 'CONFIG_MISSING', 'SSH_KEY_MISSING', 'SSH_KEY_INVALID', 'GIT_MISSING',
  // PostgreSQL
  'DB_ADMIN_DATABASE_MISSING', 'DB_AUTH_FAILED', 'DB_CONNECTION_REFUSED', 'DB_CONNECTION_RESET', 'DB_ERROR',
  'DB_HBA_REJECTED', 'DB_HOST_NOT_FOUND', 'DB_INVALID_IDENTIFIER', 'DB_INVALID_LITERAL', 'DB_IN_USE',
  'DB_ISOLATION_NOT_SET_UP', 'DB_ISOLATION_UNSUPPORTED', 'DB_NOT_OWNER', 'DB_NOT_READY', 'DB_NOT_SPARKS',
  'DB_NOT_SUPERUSER', 'DB_NO_CREATEDB', 'DB_PERMISSION_DENIED', 'DB_SSL', 'DB_TIMEOUT', 'DB_TOO_MANY_CONNECTIONS',
  'DB_UNREACHABLE', 'DB_UNSUPPORTED',
  // Kubernetes
  'NO_CLUSTER', 'NAMESPACE_MISSING', 'KUBECONFIG_INVALID', 'KUBE_ALREADY_EXISTS', 'KUBE_API_ERROR', 'KUBE_CONFLICT',
  'KUBE_CONTEXT_MISSING', 'KUBE_DENIED', 'KUBE_FAILED', 'KUBE_FORBIDDEN', 'KUBE_GONE', 'KUBE_INVALID',
  'KUBE_NOT_FOUND', 'KUBE_QUOTA', 'KUBE_THROTTLED', 'KUBE_TIMEOUT', 'KUBE_TLS', 'KUBE_UNAUTHORIZED',
  'KUBE_UNREACHABLE',
  // Readiness of a spark
  'READY_CONFIG', 'READY_CRASHLOOP', 'READY_IMAGE_PULL', 'READY_REJECTED', 'READY_TIMEOUT', 'READY_UNSCHEDULABLE',
  'READY_VOLUME',
  // The local runtime and its embedded PostgreSQL
  'LOCAL_DATA_DIR', 'LOCAL_INIT_FAILED', 'LOCAL_LOCKED', 'LOCAL_NOT_READY', 'LOCAL_NO_BINARIES', 'LOCAL_ORPHANS',
  'CLONE_FAILED', 'CLONE_TIMEOUT', 'PG_INITDB_FAILED', 'PG_SERVER_NO_USER', 'PG_SERVER_PATH', 'PG_SERVER_RUNNING',
  'PG_SERVER_START_FAILED', 'PG_SERVER_STOP_FAILED', 'PG_SERVER_UNINITIALISED', 'PG_VERSION',
] as const;

export type SparkErrorCode = (typeof SPARK_ERROR_CODES)[number];

/** The exit codes a failure may end with (0 is success, never an error). */
export type FailureExitCode = Exclude<ExitCode, 0>;

export interface SparkErrorOptions {
  /** The exact fix, shown under the message. */
  hint?: string;
  exitCode?: FailureExitCode;
  /** Stable machine-readable code for `--json` consumers, e.g. DB_AUTH_FAILED. */
  code?: SparkErrorCode;
  cause?: unknown;
}

/** The one error type. Adapters translate driver and API errors into it at the boundary. */
export class SparkError extends Error {
  readonly hint?: string;
  readonly exitCode: FailureExitCode;
  readonly code: SparkErrorCode;

  constructor(message: string, options: SparkErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'SparkError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
    this.code = options.code ?? (this.exitCode === 2 ? 'USAGE' : 'FAILED');
  }
}

export function usageError(message: string, hint?: string): SparkError {
  return new SparkError(message, { hint, exitCode: 2, code: 'USAGE' });
}

/** The user pressed Ctrl-C (or the process got SIGINT/SIGTERM): exit 130. */
export function interrupted(message: string, hint?: string): SparkError {
  return new SparkError(message, { hint, exitCode: 130, code: 'INTERRUPTED' });
}
