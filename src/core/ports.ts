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
  /** Set while the create runs: marks the claim so that delete knows (cleared when done). */
  inFlight?: InFlight;
  /** ISO time after which `spark reap` may delete the spark (`create --ttl`, SPARK_DEFAULT_TTL). */
  expiresAt?: string;
  /** A fork (`create --from`): the spark whose home (and project) this one starts as a copy of. */
  from?: string;
  sshPublicKey?: string;
  anthropicApiKey?: string;
  githubToken?: string;
  dotfilesRepo?: string;
}

/**
 * Unknown: its database exists but the runtime could not be asked (unreachable, erroring).
 * Sleeping: put to sleep on purpose (`spark sleep`); home, database and Secret are kept.
 */
export type SparkState = 'Running' | 'Starting' | 'Failed' | 'Stopped' | 'Sleeping' | 'Incomplete' | 'Unknown';

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
  /** ISO time it was put to sleep, while Sleeping. */
  sleepingSince?: string;
  /** ISO time after which `spark reap` deletes it (`create --ttl`, `spark extend`). */
  expiresAt?: string;
  /** ISO time spark last woke it (a wake counts as use: reap's idle time starts there at the latest). */
  wokenAt?: string;
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
  /** The program is spark's own tool (ssh), not the user's command: how to get it when it is missing. */
  installHint?: string;
}

export interface WaitOptions {
  timeoutMs: number;
  onProgress?: OnProgress;
  signal?: AbortSignal;
}

export interface Runtime {
  readonly kind: RuntimeKind;
  /** What this runtime can do beyond the basics; commands ask here (core/capabilities.ts). */
  readonly capabilities: RuntimeCapabilities;
  /**
   * Atomically take the name by making the spark's root object (the ConfigMap; the workspace
   * directory locally). Throws a SparkError with code NAME_TAKEN if it exists: of two concurrent
   * creates of one name exactly one gets past this point.
   */
  claim(spec: SparkSpec): Promise<void>;
  /** Make (or converge) every other object of the spark. Idempotent. */
  create(spec: SparkSpec, options?: { onProgress?: OnProgress; signal?: AbortSignal; timeoutMs?: number }): Promise<void>;
  /** Resolve when the spark is reachable; reject with a SparkError on a fatal reason or the deadline. */
  waitReady(name: string, options: WaitOptions): Promise<RuntimeSpark>;
  /** One call per kind, whatever the number of sparks. */
  list(): Promise<RuntimeSpark[]>;
  exists(name: string): Promise<boolean>;
  status(name: string): Promise<RuntimeStatus | undefined>;
  /** Remove whatever exists of the spark; missing objects are success. */
  delete(name: string): Promise<DeleteReport>;
  /** `command` is an argv, run as given on every runtime; `tty`: the caller's stdin is a terminal. */
  shell(name: string, command: string[], options?: { tty?: boolean }): Promise<ShellInvocation>;
  checks(): Promise<CheckResult[]>;
  /** The database the spark's DATABASE_URL names, if it has one (Go-CLI sparks tagged no database). */
  databaseOf(name: string): Promise<string | undefined>;
  /** The in-flight mark of a create of this name that still runs (see core/inflight.ts), else undefined. */
  creating(name: string): Promise<InFlight | undefined>;
  /** The create is over (ready, or kept after a slow start): remove the in-flight mark. */
  markCreated(name: string): Promise<void>;
  /** Resolves once the spark's claim (its root object) is gone, or when `signal` aborts. Never rejects. */
  claimGone(name: string, signal: AbortSignal): Promise<void>;
}

/** The mark a running create leaves on its claim until it is done. */
export interface InFlight {
  host: string;
  pid: number;
  /** ISO time after which the create is over in any case (its timeout, plus a margin). */
  until: string;
}

/** A spark's database as the provisioner sees it (found by its spark tag, not by name alone). */
export interface SparkDatabase {
  name: string;
  owner: string;
  sizeBytes?: number;
  createdAt?: string;
  connections?: number;
  /** Carries spark's tag for this runtime and namespace (list returns only these). */
  ours?: boolean;
  /** Tagged for another namespace or runtime, in words ("namespace team-a"). */
  belongsTo?: string;
  /** Not open to connections: left by a create that was interrupted before it opened it. */
  closed?: boolean;
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
  /** Throws a SparkError with code NAME_TAKEN if a database of that name exists. `source`: a copy of that (fork, template). */
  create(plan: CreatedDatabase, options: { createdAt: string; source?: CopySource }): Promise<void>;
  /** Drops the database even while sessions are connected; absent is success. */
  drop(name: string): Promise<'dropped' | 'absent'>;
  /**
   * `sizes`: with each database's size (pg_database_size reads every file of every database: ~0.45 ms
   * each, so `list` asks it only for `-o wide`; get always has it).
   */
  list(options?: { sizes?: boolean }): Promise<SparkDatabase[]>;
  get(name: string): Promise<SparkDatabase | undefined>;
  checks(): Promise<CheckResult[]>;
  close(): Promise<void>;
  /** Log in with a spark's DATABASE_URL and out again (doctor: does it still authenticate?). */
  login?(databaseUrl: string): Promise<LoginResult>;
  /** Snapshots, restore, reset and golden templates (core/branches.ts); absent: not supported. */
  branches?: DatabaseBranches;
}

/** Where a new spark's database is copied from (`create --from`, `--snapshot`, `--db-template`). */
export type CopySource =
  | { kind: 'spark'; name: string }
  | { kind: 'snapshot'; spark: string; id: string }
  | { kind: 'template'; name: string };

/** A closed copy of a spark's database at one moment (CREATE DATABASE … TEMPLATE). */
export interface DatabaseSnapshot {
  id: string;
  spark: string;
  label: string | null;
  sizeBytes: number | null;
  createdAt: string;
  /** The database that holds it, e.g. `brave-dolphin@k3x9a2` (closed to connections). */
  database: string;
}

/** A golden template: a closed copy new sparks' databases start from. */
export interface DatabaseTemplate {
  name: string;
  /** The spark it was made from. */
  from: string | null;
  sizeBytes: number | null;
  createdAt: string;
  database: string;
}

/** How a copy went: the sessions it ended on the source, and how PostgreSQL copied. */
export interface CopyReport {
  endedSessions: number;
  /** e.g. "FILE_COPY" or "FILE_COPY (clone)". */
  strategy: string;
}

/** Something an interrupted branching command left, as doctor reports it. */
export interface BranchLeftover {
  database: string;
  /** What it is, in words ("a half-made copy", "a snapshot of brave-dolphin, whose spark is gone"). */
  what: string;
  sizeBytes: number | null;
  /** The exact command that removes it. */
  fix: string;
}

export interface DatabaseBranches {
  snapshot(spark: string, options: { label?: string; createdAt: string }): Promise<DatabaseSnapshot & CopyReport>;
  /** One query for all (list/status/doctor); `spark` narrows it to one spark's. */
  snapshots(spark?: string): Promise<DatabaseSnapshot[]>;
  /** The spark's database becomes the snapshot again (swapped in by renames: never without a database). */
  restore(spark: string, id: string): Promise<CopyReport>;
  /** Back to its starting point: empty, or the golden template it was made from. */
  reset(spark: string): Promise<CopyReport & { template: string | null }>;
  dropSnapshot(spark: string, id: string): Promise<void>;
  /** Every snapshot of the spark; returns their ids. */
  dropSnapshots(spark: string): Promise<string[]>;
  createTemplate(name: string, from: string, options: { createdAt: string }): Promise<DatabaseTemplate & CopyReport>;
  templates(): Promise<DatabaseTemplate[]>;
  dropTemplate(name: string): Promise<'dropped' | 'absent'>;
  /** What interrupted copies left (after repairing what can be repaired: a spark database left closed, a half-done swap). */
  leftovers(): Promise<BranchLeftover[]>;
}

/** A spark's DATABASE_URL as its runtime keeps it (Kubernetes: in the spark's Secret). */
export interface SparkCredential {
  name: string;
  /** Carries a password: never print it. */
  databaseUrl: string;
}

/** Where sparks keep their DATABASE_URL: all read at once; one rewritten and restarted at a time. */
export interface SparkCredentials {
  list(): Promise<SparkCredential[]>;
  /** Replace the spark's DATABASE_URL and restart it, so the new value takes effect. */
  rewrite(name: string, databaseUrl: string): Promise<void>;
}

/** The `spark-cli-config` Secret: the CLI's own configuration, kept in the cluster. */
export interface CliConfigStore {
  /** For messages, e.g. "Secret spark-cli-config in namespace spark". */
  readonly where: string;
  write(values: { POSTGRES_PASSWORD: string }): Promise<void>;
}

/** A login with a spark's URL: ok, or refused (`rejected`: the password or role is wrong, 28P01). */
export type LoginResult = { ok: true } | { ok: false; rejected: boolean; reason: string };

/** The spark role itself (POSTGRES_USER) as rotation and repair need it. */
export interface RoleAccount {
  readonly role: string;
  /** Throws a SparkError with the fix when the configured password does not log in. */
  verify(): Promise<void>;
  /** Spark databases that use this role (no role of their own), by their tag. */
  sharedDatabases(): Promise<string[]>;
  /**
   * Give the role a new password (sent as a SCRAM verifier). `beforeCommit` runs inside the same
   * transaction: if it throws, the password is unchanged.
   */
  setPassword(password: string, beforeCommit?: () => Promise<void>): Promise<void>;
  /** Log in with a spark's URL (at the CLI's server address) and out again; no query runs. */
  login(databaseUrl: string): Promise<LoginResult>;
  close(): Promise<void>;
}

/**
 * Optional abilities of a runtime. A command that needs one asks `requireCapability` and, when the
 * runtime lacks it, says so plainly instead of failing somewhere inside.
 */
export interface RuntimeCapabilities {
  /** Stop the spark's container and start it again; home, database and Secret are kept. */
  sleep?: SleepCapability;
  /** What the spark reports of its use: sessions, and unsaved git work in its project. */
  activity?: ActivityCapability;
  /** The spark's container log. */
  logs?: LogsCapability;
  /** Local ports forwarded to the spark. */
  forward?: ForwardCapability;
  /** An expiry time on the spark, for `spark reap`. */
  expiry?: ExpiryCapability;
}

export type CapabilityName = keyof RuntimeCapabilities;

export interface SleepCapability {
  /** Scale to zero. Resolves false when it already slept (idempotent). */
  sleep(name: string): Promise<boolean>;
  /** Scale back up; the caller waits with `waitReady`. Resolves false when it was awake. */
  wake(name: string): Promise<boolean>;
}

/** As the spark reports it; fields it could not tell are absent. */
export interface SparkActivity {
  /** ISO time the last SSH session ended (or began, while one is open). */
  lastSessionAt?: string;
  openSessions: number;
  /** `/home/user/project` has uncommitted changes or commits not on any remote. */
  unsavedWork?: boolean;
  /** What the unsaved work is, in words ("3 uncommitted files, 2 unpushed commits"). */
  unsavedDetail?: string;
  /** ISO time of this report. */
  reportedAt: string;
}

export interface ActivityCapability {
  /** Undefined when the spark is not running (asleep, starting) and so cannot report. */
  activity(name: string): Promise<SparkActivity | undefined>;
}

export interface LogsCapability {
  logs(name: string, options: { follow: boolean; sinceSeconds?: number; signal?: AbortSignal; write(text: string): void }): Promise<void>;
}

export interface PortForward {
  local: number;
  remote: number;
}

export interface ForwardCapability {
  /** The process that holds the forwards open (ssh -N -L) until it is interrupted. */
  forward(name: string, ports: PortForward[]): Promise<ShellInvocation>;
  /** Where the spark's SSH listens as this machine reaches it (`spark proxy`): an address or host name. */
  sshAddress?(name: string): Promise<string>;
}

export interface ExpiryCapability {
  /** Set (or with undefined, clear) the time after which the spark may be reaped. */
  setExpiry(name: string, at: string | undefined): Promise<void>;
}
