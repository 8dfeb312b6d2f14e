import { SparkError } from '../errors.js';
import type { Backend } from './backend.js';
import type { DatabaseSnapshot, RuntimeKind, RuntimeSpark, SparkDatabase, SparkState } from './ports.js';
import { termsOf } from './runtime-terms.js';

export interface SparkRow {
  name: string;
  runtime: RuntimeKind;
  state: SparkState;
  reason: string | null;
  createdAt: string | null;
  repo: string | null;
  ssh: string | null;
  host: string | null;
  legacy: boolean;
  /** ISO time after which `spark reap` may delete it; null: it does not expire. */
  expiresAt: string | null;
  /** ISO time spark put it to sleep, while Sleeping (null when awake, or scaled to 0 by hand). */
  sleepingSince: string | null;
  /** `closed`: left closed to connections by an interrupted create. */
  database: { name: string; owner: string; sizeBytes: number | null; connections: number | null; closed?: true } | null;
  /** Its database's snapshots (`spark db snapshot`): how many and their total size; null when unknown. */
  snapshots: { count: number; sizeBytes: number } | null;
}

/** A part that could not be asked: what happened, and the fix when there is one. */
export interface Unavailable {
  runtime: RuntimeKind;
  part: 'runtime' | 'database';
  reason: string;
  fix: string | null;
}

export function unavailable(runtime: RuntimeKind, part: Unavailable['part'], error: unknown): Unavailable {
  return { runtime, part, reason: (error as Error).message, fix: error instanceof SparkError ? (error.hint ?? null) : null };
}

export interface Listing {
  sparks: SparkRow[];
  /** Parts that could not be asked, e.g. "database: connection refused"; the rest is still listed. */
  unavailable: Unavailable[];
}

/**
 * Join what the runtime knows with what the database server knows; either may be unreachable.
 * `sizes`: each database's size too (the costly part of a long list: `-o wide` only).
 */
export async function listSparks(backends: Backend[], options: { sizes?: boolean } = {}): Promise<Listing> {
  const listing: Listing = { sparks: [], unavailable: [] };
  await Promise.all(
    backends.map(async (backend) => {
      // Snapshots of every spark in one query, beside the other lists (O(1) in the number of sparks).
      // No branching (the database layer could not be opened): snapshots stay null, not 0.
      const [objects, databases, snapshots] = await Promise.allSettled([backend.runtime.list(), backend.databases.list({ sizes: options.sizes }), backend.databases.branches?.snapshots() ?? Promise.reject(new Error('no branching'))]);
      if (objects.status === 'rejected') listing.unavailable.push(unavailable(backend.kind, 'runtime', objects.reason));
      if (databases.status === 'rejected') listing.unavailable.push(unavailable(backend.kind, 'database', databases.reason));
      const sparks = objects.status === 'fulfilled' ? objects.value : undefined;
      const dbs = databases.status === 'fulfilled' ? databases.value : undefined;
      const rows = joinSparks(backend.kind, sparks, dbs);
      if (snapshots.status === 'fulfilled') withSnapshots(rows, snapshots.value);
      listing.sparks.push(...rows);
    }),
  );
  listing.sparks.sort((a, b) => ordinal(b.createdAt ?? '', a.createdAt ?? '') || ordinal(a.name, b.name));
  return listing;
}

/**
 * Code-unit order: for spark names ([a-z0-9-]) and ISO times the same order as localeCompare, without
 * the ~6 ms its first call spends building ICU's collator.
 */
export function ordinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `sparks` undefined: the runtime could not be asked. A database is then Unknown, never Incomplete:
 * a spark is Incomplete only when both sides answered and one lacks it.
 */
export function joinSparks(kind: RuntimeKind, sparks: RuntimeSpark[] | undefined, databases: SparkDatabase[] | undefined): SparkRow[] {
  const byName = new Map((databases ?? []).map((d) => [d.name, d]));
  const rows: SparkRow[] = (sparks ?? []).map((spark) => {
    const db = byName.get(spark.name);
    byName.delete(spark.name);
    return toRow(kind, spark, db);
  });
  for (const db of byName.values()) {
    const spark: RuntimeSpark = sparks
      ? // A database whose spark objects are gone: an interrupted create or delete.
        { name: db.name, runtime: kind, state: 'Incomplete', reason: 'database without spark objects', createdAt: db.createdAt }
      : { name: db.name, runtime: kind, state: 'Unknown', reason: `${termsOf(kind).source} could not be asked`, createdAt: db.createdAt };
    rows.push(toRow(kind, spark, db));
  }
  return rows;
}

/** Each row's snapshot count and total size. */
export function withSnapshots(rows: SparkRow[], snapshots: DatabaseSnapshot[]): SparkRow[] {
  const bySpark = new Map<string, { count: number; sizeBytes: number }>();
  for (const s of snapshots) {
    const sum = bySpark.get(s.spark) ?? { count: 0, sizeBytes: 0 };
    sum.count += 1;
    sum.sizeBytes += s.sizeBytes ?? 0;
    bySpark.set(s.spark, sum);
  }
  for (const row of rows) row.snapshots = bySpark.get(row.name) ?? { count: 0, sizeBytes: 0 };
  return rows;
}

/** One list entry; `spark status` is this plus its own fields. */
export function toRow(kind: RuntimeKind, spark: RuntimeSpark, db: SparkDatabase | undefined): SparkRow {
  return {
    name: spark.name,
    runtime: kind,
    state: spark.state,
    reason: spark.reason ?? null,
    createdAt: spark.createdAt ?? db?.createdAt ?? null,
    repo: spark.repo ?? null,
    ssh: spark.ssh ?? null,
    host: spark.host ?? null,
    legacy: Boolean(spark.legacy),
    expiresAt: spark.expiresAt ?? null,
    sleepingSince: spark.sleepingSince ?? null,
    database: db ? { name: db.name, owner: db.owner, sizeBytes: db.sizeBytes ?? null, connections: db.connections ?? null, ...(db.closed ? { closed: true as const } : {}) } : null,
    snapshots: null,
  };
}
