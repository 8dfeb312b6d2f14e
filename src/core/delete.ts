import { SparkError } from '../errors.js';
import type { Backend } from './backend.js';

export interface DeleteOutcome {
  name: string;
  runtime: string;
  removed: string[];
  left: string[];
}

/**
 * `spark delete`: remove whatever exists of the spark — objects (complete, partial or made by the
 * Go CLI) and, unless kept, its database. Missing pieces are success; what cannot be removed is named.
 */
export async function deleteSpark(backend: Backend, name: string, options: { keepDatabase: boolean }): Promise<DeleteOutcome> {
  // A database server that cannot be asked would be found out only after the objects are gone,
  // leaving the database behind with nothing to show it belongs to a spark: delete nothing then.
  if (!options.keepDatabase) await backend.databases.get(name).catch((error: unknown) => {
    throw databaseUnreachable(name, error);
  });
  const [objects, database] = await Promise.allSettled([
    backend.runtime.delete(name),
    options.keepDatabase ? Promise.resolve('kept' as const) : backend.databases.drop(name),
  ]);
  const outcome: DeleteOutcome = { name, runtime: backend.kind, removed: [], left: [] };
  if (objects.status === 'fulfilled') {
    outcome.removed.push(...objects.value.removed);
    outcome.left.push(...objects.value.left);
  } else {
    outcome.left.push(`${backend.kind} objects: ${(objects.reason as Error).message}`);
  }
  if (database.status === 'rejected') outcome.left.push(`database ${name}: ${(database.reason as Error).message}`);
  else if (database.value === 'dropped') outcome.removed.push(`database ${name}`);
  return outcome;
}

function databaseUnreachable(name: string, error: unknown): SparkError {
  const reason = error instanceof SparkError ? error : undefined;
  return new SparkError(`Nothing was deleted: the database of ${name} cannot be dropped. ${(error as Error).message}`, {
    hint: `${reason?.hint ? `${reason.hint}\n` : ''}Or delete only the spark, keeping its database: spark delete ${name} --keep-db`,
    code: reason?.code ?? 'DB_UNREACHABLE',
    exitCode: reason?.exitCode,
    cause: error,
  });
}
