/**
 * The two ports the use-cases are written against. Adapters (runtimes/kubernetes, runtimes/local,
 * database/) implement them; core never imports an adapter's library directly.
 */

export type RuntimeKind = 'kubernetes' | 'local';
export type Isolation = 'shared' | 'role';

/** One check of `spark create --test` / `spark doctor`: a ✓/✗ line with its fix. */
export interface CheckResult {
  id: string;
  title: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  /** What was found, e.g. "PostgreSQL 15.18" or the error message. */
  detail?: string;
  /** The exact command or step that fixes it. */
  fix?: string;
  /** A failed blocking check makes the command exit 1. */
  blocking?: boolean;
}

/** Progress reported by adapters and use-cases; the CLI decides how to show it. */
export type OnProgress = (event: { step: string; detail?: string }) => void;

/** Everything a runtime needs to make one spark. Secrets are values here, never logged. */
export interface SparkSpec {
  name: string;
  repo?: string;
  databaseName: string;
  databaseUrl: string;
  isolation: Isolation;
  createdAt: string;
  creator: string;
  sshPublicKey?: string;
  anthropicApiKey?: string;
  githubToken?: string;
  dotfilesRepo?: string;
}

export type SparkState = 'Running' | 'Starting' | 'Failed' | 'Stopped' | 'Incomplete';

export interface RuntimeSpark {
  name: string;
  runtime: RuntimeKind;
  state: SparkState;
  /** Why it is not Running, e.g. ImagePullBackOff, or the missing objects of an incomplete spark. */
  reason?: string;
  createdAt?: string;
  repo?: string;
  /** How to reach it, e.g. `ssh user@spark-brave-dolphin`. */
  ssh?: string;
  /** Tailnet FQDN when the Service reports one. */
  host?: string;
  /** Made by the earlier Go CLI (labels only, no spark annotations). */
  legacy?: boolean;
}

export interface ObjectPresence {
  kind: string;
  name: string;
  exists: boolean;
}

export interface RuntimeStatus extends RuntimeSpark {
  objects: ObjectPresence[];
  phase?: string;
  restarts?: number;
  events: Array<{ type: string; reason: string; message: string; at?: string }>;
}

export interface DeleteReport {
  removed: string[];
  /** Objects that could not be removed, each with why. */
  left: string[];
}

/** A process to run attached to the terminal (ssh into a pod, or a shell in a local workspace). */
export interface ShellInvocation {
  program: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** What to check when the program itself could not connect (ssh exits 255 for that alone). */
  connectionHint?: string;
}

export interface WaitOptions {
  timeoutMs: number;
  onProgress?: OnProgress;
  signal?: AbortSignal;
}

export interface Runtime {
  readonly kind: RuntimeKind;
  /**
   * Atomically take the name by making the spark's root object (the ConfigMap; the workspace
   * directory locally). Throws a SparkError with code NAME_TAKEN if it exists: of two concurrent
   * creates of one name exactly one gets past this point.
   */
  claim(spec: SparkSpec): Promise<void>;
  /** Make (or converge) every other object of the spark. Idempotent. */
  create(spec: SparkSpec, options?: { onProgress?: OnProgress; signal?: AbortSignal }): Promise<void>;
  /** Resolve when the spark is reachable; reject with a SparkError on a fatal reason or the deadline. */
  waitReady(name: string, options: WaitOptions): Promise<RuntimeSpark>;
  /** One call per kind, whatever the number of sparks. */
  list(): Promise<RuntimeSpark[]>;
  exists(name: string): Promise<boolean>;
  status(name: string): Promise<RuntimeStatus | undefined>;
  /** Remove whatever exists of the spark; missing objects are success. */
  delete(name: string): Promise<DeleteReport>;
  shell(name: string, command: string[]): Promise<ShellInvocation>;
  checks(): Promise<CheckResult[]>;
}

/** A spark's database as the provisioner sees it (found by its spark tag, not by name alone). */
export interface SparkDatabase {
  name: string;
  owner: string;
  sizeBytes?: number;
  createdAt?: string;
  connections?: number;
}

export interface CreatedDatabase {
  databaseName: string;
  /** Carries a password: never print it (the redaction step masks it anyway). */
  databaseUrl: string;
  /** The spark's own login role in isolation mode. */
  role?: string;
}

/** The Database port: the spark role's view of the shared PostgreSQL server. */
export interface DatabaseProvisioner {
  /**
   * What `create` will make, known before it runs (the URL, and in isolation mode the role and
   * its generated password), so the runtime objects can be made at the same time as the database.
   */
  plan(name: string, options: { createdAt: string }): Promise<CreatedDatabase>;
  /** Throws a SparkError with code NAME_TAKEN if a database of that name exists. */
  create(plan: CreatedDatabase, options: { createdAt: string }): Promise<void>;
  /** Drops the database even while sessions are connected; absent is success. */
  drop(name: string): Promise<'dropped' | 'absent'>;
  list(): Promise<SparkDatabase[]>;
  get(name: string): Promise<SparkDatabase | undefined>;
  checks(): Promise<CheckResult[]>;
  close(): Promise<void>;
}
