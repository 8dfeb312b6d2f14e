import { SparkError } from '../errors.js';
import { generateName, validateName } from '../names/index.js';
import type { Backend } from './backend.js';
import type { CreatedDatabase, Isolation, OnProgress, RuntimeSpark, SparkSpec } from './ports.js';

export interface CreateInput {
  name?: string;
  repo?: string;
  timeoutMs: number;
  isolation: Isolation;
  creator: string;
  sshPublicKey?: string;
  anthropicApiKey?: string;
  githubToken?: string;
  dotfilesRepo?: string;
  now?: () => Date;
}

export interface CreateEvents {
  onProgress?: OnProgress;
  /** Called once the name is taken, so an interrupt handler knows what to name. */
  onNamed?: (name: string) => void;
  signal?: AbortSignal;
}

export interface CreateResult {
  name: string;
  database: string;
  spark: RuntimeSpark;
}

const NAME_ATTEMPTS = 8;

/**
 * `spark create`: take a name, make the database and the runtime objects at the same time,
 * wait until the spark is reachable. On any failure or interrupt, remove what this run made.
 */
export async function createSpark(backend: Backend, input: CreateInput, events: CreateEvents = {}): Promise<CreateResult> {
  const { runtime, databases } = backend;
  const progress = events.onProgress ?? (() => {});
  const createdAt = (input.now?.() ?? new Date()).toISOString();

  // 1. A name nobody has: not in the runtime, not on the database server.
  const specFor = (name: string, plan: CreatedDatabase): SparkSpec => ({
    name,
    repo: input.repo,
    databaseName: plan.databaseName,
    databaseUrl: plan.databaseUrl,
    isolation: input.isolation,
    createdAt,
    creator: input.creator,
    sshPublicKey: input.sshPublicKey,
    anthropicApiKey: input.anthropicApiKey,
    githubToken: input.githubToken,
    dotfilesRepo: input.dotfilesRepo,
  });
  progress({ step: 'Choosing a name' });
  let name: string | undefined;
  let plan: CreatedDatabase | undefined;
  for (let attempt = 0; !name; attempt++) {
    const candidate = input.name ? validateName(input.name) : generateName();
    if (await isTaken(backend, candidate)) {
      if (input.name) throw nameTaken(candidate);
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

  // 2. Database and runtime objects concurrently; then readiness. Undo everything on failure.
  let databaseMade = false;
  try {
    throwIfAborted(events.signal);
    progress({ step: 'Creating the database and the spark', detail: name });
    const database = databases.create(plan!, { createdAt }).then(() => {
      databaseMade = true;
    });
    const objects = runtime.create(spec, { onProgress: progress, signal: events.signal });
    const [db, obj] = await Promise.allSettled([database, objects]);
    if (db.status === 'rejected') throw db.reason;
    if (obj.status === 'rejected') throw obj.reason;

    throwIfAborted(events.signal);
    progress({ step: 'Waiting for the spark to be ready' });
    const spark = await runtime.waitReady(name, { timeoutMs: input.timeoutMs, onProgress: progress, signal: events.signal });
    return { name, database: plan!.databaseName, spark };
  } catch (error) {
    // A slow start is not a failure: the spark is kept and the error says how to go on.
    if (error instanceof SparkError && error.code === 'READY_TIMEOUT') throw error;
    progress({ step: 'Removing what this run made', detail: name });
    const left = await rollback(backend, name, databaseMade);
    const cause = events.signal?.aborted ? new SparkError('Interrupted; the spark was not created.', { code: 'INTERRUPTED' }) : error;
    throw withLeftovers(cause, name, left);
  }
}

async function isTaken(backend: Backend, name: string): Promise<boolean> {
  const [inRuntime, inDatabase] = await Promise.all([backend.runtime.exists(name), backend.databases.get(name)]);
  return inRuntime || inDatabase !== undefined;
}

function nameTaken(name: string): SparkError {
  return new SparkError(`A spark or database named "${name}" already exists.`, {
    hint: `Choose another name, or remove the old one first: spark delete ${name}`,
    code: 'NAME_TAKEN',
  });
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new SparkError('Interrupted.', { code: 'INTERRUPTED' });
}

/** Remove this run's objects and database; what could not be removed is returned, never hidden. */
export async function rollback(backend: Backend, name: string, dropDatabase: boolean): Promise<string[]> {
  const [objects, database] = await Promise.allSettled([
    backend.runtime.delete(name),
    dropDatabase ? backend.databases.drop(name) : Promise.resolve('absent' as const),
  ]);
  const left: string[] = [];
  if (objects.status === 'rejected') left.push(`the ${backend.kind} objects (${(objects.reason as Error).message})`);
  else left.push(...objects.value.left);
  if (database.status === 'rejected') left.push(`database ${name} (${(database.reason as Error).message})`);
  return left;
}

function withLeftovers(error: unknown, name: string, left: string[]): unknown {
  if (!(error instanceof SparkError)) return error;
  if (error.code === 'NAME_TAKEN') return error;
  const suffix = left.length ? ` Could not remove: ${left.join('; ')}.` : ` Nothing of "${name}" was left behind.`;
  const hint = left.length ? `${error.hint ? `${error.hint}\n` : ''}Finish the cleanup with: spark delete ${name}` : error.hint;
  return new SparkError(`${error.message}${suffix}`, { hint, code: error.code, exitCode: error.exitCode, cause: error });
}
