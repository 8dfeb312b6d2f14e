import { SparkError } from '../errors.js';
import type { Backend } from './backend.js';
import { toRow, withSnapshots, type SparkRow } from './list.js';
import type { RuntimeStatus } from './ports.js';

/** The list entry of the spark plus what only status shows: every key always present (null when unknown). */
export interface SparkStatus extends SparkRow {
  objects: RuntimeStatus['objects'];
  phase: string | null;
  restarts: number | null;
  events: RuntimeStatus['events'];
  /** Why the database part is missing, when the server could not be asked. */
  databaseUnavailable: string | null;
}

/** `spark status`: every object and whether it exists, the pod, the last events, the database. */
export async function sparkStatus(backend: Backend, name: string): Promise<SparkStatus> {
  const [runtimeStatus, database, snapshots] = await Promise.allSettled([backend.runtime.status(name), backend.databases.get(name), backend.databases.branches?.snapshots(name) ?? Promise.reject(new Error('no branching'))]);
  if (runtimeStatus.status === 'rejected') throw runtimeStatus.reason;
  // A database of that name that is not this runtime's and namespace's spark is not shown as one.
  const db = database.status === 'fulfilled' && database.value?.ours ? database.value : undefined;
  if (!runtimeStatus.value && !db) throw await notFound(backend, name);
  const status: RuntimeStatus = runtimeStatus.value ?? { name, runtime: backend.kind, state: 'Incomplete', reason: 'database without spark objects', createdAt: db?.createdAt, objects: [], events: [] };
  const { objects, phase, restarts, events, ...spark } = status;
  const row = toRow(backend.kind, spark, db);
  if (snapshots.status === 'fulfilled') withSnapshots([row], snapshots.value);
  return {
    ...row,
    objects,
    phase: phase ?? null,
    restarts: restarts ?? null,
    events,
    databaseUnavailable: database.status === 'rejected' ? (database.reason as Error).message : null,
  };
}

/** `No spark named "x"`, with the existing names that are close to it. */
export async function notFound(backend: Backend, name: string): Promise<SparkError> {
  const names = await backend.runtime.list().then((sparks) => sparks.map((s) => s.name), () => []);
  return notFoundError(name, names);
}

export function notFoundError(name: string, existing: string[], note?: string): SparkError {
  const close = existing.filter((n) => n !== name && (distance(n, name) <= Math.max(1, Math.floor(name.length / 4)) || n.startsWith(name) || name.startsWith(n))).slice(0, 5);
  return new SparkError(`No spark named "${name}".${close.length ? ` Did you mean: ${close.join(', ')}?` : ''}`, { hint: `See your sparks with: spark list${note ? `\n${note}` : ''}`, code: 'NOT_FOUND' });
}

/** Levenshtein distance (names are short). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}
