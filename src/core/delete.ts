import { SparkError } from '../errors.js';
import type { Backend } from './backend.js';
import { describeMark } from './inflight.js';
import type { InFlight, RuntimeKind, SparkDatabase } from './ports.js';
import { termsOf } from './runtime-terms.js';

export interface DeleteOutcome {
  name: string;
  runtime: string;
  removed: string[];
  left: string[];
}

export interface DeleteOptions {
  keepDatabase: boolean;
  /** Drop the database of that name even if spark did not make it (the seed's "database already exists"). */
  forceDatabase?: boolean;
  /** Keep the spark's database snapshots (`spark db snapshot`); they go with the database otherwise. */
  keepSnapshots?: boolean;
}

/**
 * `spark delete`: remove whatever exists of the spark — objects (complete, partial or made by the
 * Go CLI) and, unless kept, its database. Missing pieces are success; what cannot be removed is named.
 *
 * The database goes last, and only when it is the spark's (spark's tag for this runtime and
 * namespace, or named by the spark's DATABASE_URL, or --force-db) and only once the objects are
 * confirmed gone: a cluster that cannot be asked never costs a database.
 */
export async function deleteSpark(backend: Backend, name: string, options: DeleteOptions): Promise<DeleteOutcome> {
  const { runtime, databases, kind } = backend;
  const where = termsOf(kind).objects;
  // A create still running would make objects or the database after we looked.
  const inFlight = await runtime.creating(name).catch((error: unknown) => {
    throw nothingDeleted(name, `its ${where} cannot be read`, error, options.keepDatabase);
  });
  if (inFlight) throw beingCreated(name, inFlight);

  // A database server that cannot be asked would be found out only after the objects are gone,
  // leaving the database behind with nothing to show it belongs to a spark: delete nothing then.
  let database: SparkDatabase | undefined;
  if (!options.keepDatabase) {
    database = await databases.get(name).catch((error: unknown) => {
      throw nothingDeleted(name, 'its database cannot be dropped', error, true);
    });
    if (database && !database.ours && !options.forceDatabase) {
      const named = await runtime.databaseOf(name).catch((error: unknown) => {
        throw nothingDeleted(name, `its ${where} cannot be read`, error, false);
      });
      if (named !== name) throw notSparks(name, database, kind);
    }
  }

  const outcome: DeleteOutcome = { name, runtime: kind, removed: [], left: [] };
  let objectsGone = false;
  try {
    const report = await runtime.delete(name);
    outcome.removed.push(...report.removed);
    outcome.left.push(...report.left);
    objectsGone = report.left.length === 0;
  } catch (error) {
    outcome.left.push(`${kind} objects: ${(error as Error).message}`);
  }
  if (options.keepDatabase) return outcome;
  if (!objectsGone) {
    if (database) outcome.left.push(`database ${name}: kept until the spark's ${where} are gone (then run the delete again)`);
    return outcome;
  }
  // Snapshots first: in isolation mode the spark's role cannot be dropped while a snapshot holds its objects.
  if (!options.keepSnapshots && databases.branches) {
    try {
      const ids = await databases.branches.dropSnapshots(name);
      if (ids.length) outcome.removed.push(`${ids.length} snapshot${ids.length === 1 ? '' : 's'} of database ${name} (${ids.join(', ')})`);
    } catch (error) {
      outcome.left.push(`snapshots of ${name}: ${(error as Error).message}`);
    }
  }
  try {
    if ((await databases.drop(name)) === 'dropped') outcome.removed.push(`database ${name}`);
  } catch (error) {
    outcome.left.push(`database ${name}: ${(error as Error).message}`);
  }
  return outcome;
}

function nothingDeleted(name: string, why: string, error: unknown, offerKeepDb: boolean): SparkError {
  const reason = error instanceof SparkError ? error : undefined;
  const hints = [reason?.hint, offerKeepDb ? `Or delete only the spark, keeping its database: spark delete ${name} --keep-db` : undefined].filter(Boolean);
  return new SparkError(`Nothing was deleted: ${why}. ${(error as Error).message}`, {
    hint: hints.join('\n') || undefined,
    code: reason?.code ?? 'DB_UNREACHABLE',
    exitCode: reason?.exitCode,
    cause: error,
  });
}

function beingCreated(name: string, mark: InFlight): SparkError {
  return new SparkError(`Nothing was deleted: "${name}" is still being created (${describeMark(mark)}).`, {
    hint: `Wait for that create to finish, or interrupt it (Ctrl-C): it removes what it made. Then: spark delete ${name}`,
    code: 'CREATE_IN_FLIGHT',
  });
}

function notSparks(name: string, database: SparkDatabase, kind: RuntimeKind): SparkError {
  const whose = database.belongsTo
    ? `it belongs to a spark of ${database.belongsTo}`
    : `spark did not make it (it has no spark tag) and no ${termsOf(kind).sparkHere} names it in its DATABASE_URL`;
  const elsewhere = database.belongsTo?.startsWith('namespace ') ? `\nIf you meant that spark: spark -n ${database.belongsTo.slice('namespace '.length)} delete ${name}` : '';
  return new SparkError(`Nothing was deleted: the database "${name}" is not this spark's: ${whose}.`, {
    hint: `To delete only the spark's objects: spark delete ${name} --keep-db${elsewhere}\nIf the database is a leftover you want gone: spark delete ${name} --force-db`,
    code: 'DB_NOT_SPARKS',
  });
}
