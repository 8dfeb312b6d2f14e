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
