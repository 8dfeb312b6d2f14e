import { interrupted, SparkError } from '../errors.js';
import { generateName, validateName } from '../names/index.js';
import type { Backend } from './backend.js';
import { requireCapability } from './capabilities.js';
import { expiryAfter } from './expiry.js';
import { inFlightMark } from './inflight.js';
import { termsOf } from './runtime-terms.js';
import type { CopySource, CreatedDatabase, Isolation, OnProgress, RuntimeSpark, SparkSpec } from './ports.js';

export interface CreateInput {
  name?: string;
  repo?: string;
  timeoutMs: number;
  /** The spark expires this long after its creation (`--ttl`, SPARK_DEFAULT_TTL); `spark reap` acts on it. */
  ttlMs?: number;
  isolation: Isolation;
  creator: string;
  sshPublicKey?: string;
  anthropicApiKey?: string;
  githubToken?: string;
  dotfilesRepo?: string;
  /** A fork: NEW's database is a copy of this spark's (or of its snapshot), its home a copy of its home. */
  from?: { spark: string; snapshot?: string };
  /** A golden template the database is copied from (`--db-template`, SPARK_DB_TEMPLATE). */
  dbTemplate?: string;
  now?: () => Date;
}

export interface CreateEvents {
  onProgress?: OnProgress;
  /** Called once the name is taken, so an interrupt handler knows what to name. */
  onNamed?: (name: string) => void;
  /** Aborted (Ctrl-C): stop, and remove what this run made. */
  signal?: AbortSignal;
  /** Aborted (a second Ctrl-C): stop removing too; the error then says what is left. */
  cleanupSignal?: AbortSignal;
}

export interface CreateResult {
  name: string;
  database: string;
  /** The repo it was given, or (a fork) its source's. */
  repo?: string;
  spark: RuntimeSpark;
  expiresAt?: string;
}

const NAME_ATTEMPTS = 8;

/**
 * `spark create`: take a name, make the database and the runtime objects at the same time,
 * wait until the spark is reachable. On any failure or interrupt, remove what this run made.
 */
export async function createSpark(backend: Backend, input: CreateInput, events: CreateEvents = {}): Promise<CreateResult> {
  const { runtime, databases } = backend;
  const progress = events.onProgress ?? (() => {});
  const now = input.now?.() ?? new Date();
  const createdAt = now.toISOString();
  // Marks the claim while this create runs, so a delete of the name refuses instead of racing it.
  const inFlight = inFlightMark(input.timeoutMs, now);
  // A runtime that cannot keep an expiry says so before anything is made.
  if (input.ttlMs !== undefined) requireCapability(runtime, 'expiry');
  const expiresAt = input.ttlMs === undefined ? undefined : expiryAfter(now, input.ttlMs);

  // 0. A fork: its source must be a spark here, not itself being created; the repo follows it unless given.
  let repo = input.repo;
  let source: CopySource | undefined = input.dbTemplate ? { kind: 'template', name: input.dbTemplate } : undefined;
  if (input.from) {
    const from = validateName(input.from.spark);
    if (input.name === from) throw new SparkError(`A spark cannot be forked into itself ("${from}").`, { hint: `Give the fork another name: spark create ${from}-fork --from ${from}`, code: 'USAGE', exitCode: 2 });
    const [status, mark] = await Promise.all([runtime.status(from), runtime.creating(from)]);
    if (!status) {
      const { notFound } = await import('./status.js');
      throw await notFound(backend, from);
    }
    if (mark) throw new SparkError(`"${from}" is still being created; it cannot be forked yet.`, { hint: `Wait for that create to finish, then: spark create --from ${from}`, code: 'CREATE_IN_FLIGHT' });
    repo ??= status.repo;
    source = input.from.snapshot ? { kind: 'snapshot', spark: from, id: input.from.snapshot } : { kind: 'spark', name: from };
  }

  // 1. A name nobody has: not in the runtime, not on the database server.
  const specFor = (name: string, plan: CreatedDatabase): SparkSpec => ({
    name,
    repo,
    databaseName: plan.databaseName,
    databaseUrl: plan.databaseUrl,
    isolation: input.isolation,
    createdAt,
    creator: input.creator,
    inFlight,
    expiresAt,
    sshPublicKey: input.sshPublicKey,
    anthropicApiKey: input.anthropicApiKey,
    githubToken: input.githubToken,
    dotfilesRepo: input.dotfilesRepo,
    ...(input.from ? { from: input.from.spark } : {}),
  });
  progress({ step: 'Choosing a name' });
  let name: string | undefined;
  let plan: CreatedDatabase | undefined;
  for (let attempt = 0; !name; attempt++) {
    const candidate = input.name ? validateName(input.name) : generateName();
    const taken = await isTaken(backend, candidate);
    if (taken) {
      if (input.name) throw taken;
      if (attempt >= NAME_ATTEMPTS) throw new SparkError('Could not find a free spark name.', { hint: 'Give one: spark create <name>.' });
      continue;
    }
    const candidatePlan = await databases.plan(candidate, { createdAt });
    try {
      // The root object is the lock: of two creates racing for one name, one wins here.
      await runtime.claim(specFor(candidate, candidatePlan));
      name = candidate;
      plan = candidatePlan;
    } catch (error) {
      if (!(error instanceof SparkError && error.code === 'NAME_TAKEN') || input.name || attempt >= NAME_ATTEMPTS) throw error;
    }
  }
  events.onNamed?.(name);
  const spec = specFor(name, plan!);

  // 2. Database and runtime objects concurrently; then readiness. Undo everything on failure,
  // and at once when the claim disappears (someone deleted the spark meanwhile).
  let databaseMade = false;
  const watching = new AbortController();
  const claimLost = new AbortController();
  void runtime.claimGone(name, watching.signal).then(() => {
    if (!watching.signal.aborted) claimLost.abort();
  });
  const signal = events.signal ? AbortSignal.any([events.signal, claimLost.signal]) : claimLost.signal;
  try {
    throwIfAborted(signal);
    progress({ step: 'Creating the database and the spark', detail: name });
    const database = databases.create(plan!, { createdAt, ...(source ? { source } : {}) }).then(() => {
      databaseMade = true;
    });
    const objects = runtime.create(spec, { onProgress: progress, signal, timeoutMs: input.timeoutMs });
    const [db, obj] = await Promise.allSettled([database, objects]);
    if (db.status === 'rejected') throw db.reason;
    if (obj.status === 'rejected') throw obj.reason;

    throwIfAborted(signal);
    progress({ step: 'Waiting for the spark to be ready' });
    const spark = await runtime.waitReady(name, { timeoutMs: input.timeoutMs, onProgress: progress, signal });
    throwIfAborted(signal);
    watching.abort();
    await runtime.markCreated(name);
    return { name, database: plan!.databaseName, spark, expiresAt, ...(repo ? { repo } : {}) };
  } catch (error) {
    watching.abort();
    // A slow start is not a failure: the spark is kept and the error says how to go on.
    if (error instanceof SparkError && error.code === 'READY_TIMEOUT' && !claimLost.signal.aborted) {
      await runtime.markCreated(name).catch(() => {});
      throw error;
    }
    progress({ step: 'Removing what this run made', detail: name });
    const cleanup = await rollback(backend, name, databaseMade, events.cleanupSignal);
    const cause = claimLost.signal.aborted
      ? new SparkError(`The spark "${name}" was deleted while it was being created (its ${termsOf(backend.kind).claim} disappeared); this create stopped.`, { code: 'CLAIM_LOST' })
      : events.signal?.aborted
        ? interrupted('Interrupted; the spark was not created.')
        : error;
    throw withLeftovers(cause, name, cleanup);
  }
}

/** Why the name is taken (a spark, or a database spark did not make), or undefined when it is free. */
async function isTaken(backend: Backend, name: string): Promise<SparkError | undefined> {
  const [inRuntime, inDatabase] = await Promise.all([backend.runtime.exists(name), backend.databases.get(name)]);
  if (!inRuntime && inDatabase && !inDatabase.ours) {
    return new SparkError(`A database named "${name}" already exists and is not a spark${inDatabase.belongsTo ? ` of this ${termsOf(backend.kind).scope} (it belongs to ${inDatabase.belongsTo})` : ''}.`, {
      hint: `Choose another name for the spark, or, if it is a leftover you want gone: spark delete ${name} --force-db`,
      code: 'NAME_TAKEN',
    });
  }
  return inRuntime || inDatabase ? nameTaken(name) : undefined;
}

function nameTaken(name: string): SparkError {
  return new SparkError(`A spark or database named "${name}" already exists.`, {
    hint: `Choose another name, or remove the old one first: spark delete ${name}`,
    code: 'NAME_TAKEN',
  });
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw interrupted('Interrupted.');
}

export interface Cleanup {
  removed: string[];
  /** What could not be removed (or was still being removed when the cleanup was stopped), each with why. */
  left: string[];
}

/**
 * Remove this run's objects and database; what could not be removed is returned, never hidden.
 * When `stop` aborts, return at once: the parts still being removed are reported as left.
 */
export async function rollback(backend: Backend, name: string, dropDatabase: boolean, stop?: AbortSignal): Promise<Cleanup> {
  const removed: string[] = [];
  const left: string[] = [];
  const pending = new Set<string>();
  /** One part of the cleanup: `what` is pending until `work` settles. */
  const track = async <T>(what: string, work: Promise<T>, done: (value: T) => void): Promise<void> => {
    pending.add(what);
    try {
      done(await work);
    } catch (error) {
      left.push(`${what} (${(error as Error).message})`);
    } finally {
      pending.delete(what);
    }
  };
  const parts = [
    track(`the ${backend.kind} objects of ${name}`, backend.runtime.delete(name), (report) => {
      removed.push(...report.removed);
      left.push(...report.left);
    }),
  ];
  if (dropDatabase) {
    parts.push(track(`database ${name}`, backend.databases.drop(name), (outcome) => {
      if (outcome === 'dropped') removed.push(`database ${name}`);
    }));
  }
  await Promise.race([Promise.all(parts), aborted(stop)]);
  // Copies: parts still running after a stop must not change what was reported.
  return { removed: [...removed], left: [...left, ...[...pending].map((what) => `${what} (the cleanup was stopped)`)] };
}

/** Resolves when `signal` aborts; never without one. */
function aborted(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve();
    else signal?.addEventListener('abort', () => resolve(), { once: true });
  });
}

function withLeftovers(error: unknown, name: string, { removed, left }: Cleanup): unknown {
  if (!(error instanceof SparkError)) return error;
  if (error.code === 'NAME_TAKEN') return error;
  const suffix = `${removed.length ? ` Removed ${removed.join(', ')}.` : ''}${left.length ? ` Could not remove: ${left.join('; ')}.` : ` Nothing of "${name}" was left behind.`}`;
  const hint = left.length ? `${error.hint ? `${error.hint}\n` : ''}Finish the cleanup with: spark delete ${name}` : error.hint;
  return new SparkError(`${error.message}${suffix}`, { hint, code: error.code, exitCode: error.exitCode, cause: error });
}
