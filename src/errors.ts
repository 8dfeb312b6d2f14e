/** Exit codes are part of the interface: 0 ok, 1 failure, 2 usage, 130 interrupted (Ctrl-C). */
export type ExitCode = 0 | 1 | 2 | 130;

export interface SparkErrorOptions {
  /** The exact fix, shown under the message. */
  hint?: string;
  exitCode?: 1 | 2 | 130;
  /** Stable machine-readable code for `--json` consumers, e.g. DB_AUTH_FAILED. */
  code?: string;
  cause?: unknown;
}

/** The one error type. Adapters translate driver and API errors into it at the boundary. */
export class SparkError extends Error {
  readonly hint?: string;
  readonly exitCode: 1 | 2 | 130;
  readonly code: string;

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

export function isSparkError(error: unknown): error is SparkError {
  return error instanceof SparkError;
}
