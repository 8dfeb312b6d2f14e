import { SparkError } from '../errors.js';
import type { Backend } from './backend.js';
import type { RuntimeStatus, SparkDatabase } from './ports.js';

export interface SparkStatus extends RuntimeStatus {
  database: SparkDatabase | null;
  /** Why the database part is missing, when the server could not be asked. */
  databaseUnavailable: string | null;
}

/** `spark status`: every object and whether it exists, the pod, the last events, the database. */
export async function sparkStatus(backend: Backend, name: string): Promise<SparkStatus> {
  const [runtimeStatus, database] = await Promise.allSettled([backend.runtime.status(name), backend.databases.get(name)]);
  if (runtimeStatus.status === 'rejected') throw runtimeStatus.reason;
  const db = database.status === 'fulfilled' ? (database.value ?? null) : null;
  if (!runtimeStatus.value && !db) {
    throw new SparkError(`No spark named "${name}".`, { hint: 'See your sparks with: spark list', code: 'NOT_FOUND' });
  }
  const status: RuntimeStatus = runtimeStatus.value ?? { name, runtime: backend.kind, state: 'Incomplete', reason: 'database without spark objects', objects: [], events: [] };
  return {
    ...status,
    database: db,
    databaseUnavailable: database.status === 'rejected' ? (database.reason as Error).message : null,
  };
}
