/** Run counts and sizes, from the environment (defaults keep the whole bench around five minutes). */

function int(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw}: expected a whole number ≥ ${min}`);
  return value;
}

function list(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`${name}=${raw}: expected comma-separated whole numbers`);
  return [...new Set(values)].sort((a, b) => a - b);
}

export const SECTIONS = ['startup', 'database', 'lifecycle', 'scale', 'list', 'memory', 'boot', 'cluster'] as const;
export type Section = (typeof SECTIONS)[number];

export interface Settings {
  /** Timed runs of each quick command (start-up, list), after the warm-up. */
  runs: number;
  warmup: number;
  /** Timed create + delete pairs (one more as warm-up). */
  lifecycleRuns: number;
  /** Database create + drop pairs through the facade, per server. */
  databaseRuns: number;
  /** Runs under GNU time per command for peak RSS. */
  memoryRuns: number;
  /** Sparks created (then deleted) at the same time, as separate processes. */
  parallel: number;
  /** Numbers of seeded sparks at which `spark list` is measured. */
  listSizes: number[];
  /** Seeded sparks that also get a real database (capped: each database costs the server a few MB). */
  listDatabases: number;
  /** Sparks booted for real per kind (spark image, silent network), and of plain debian:bookworm. */
  bootRuns: number;
  plainBootRuns: number;
  /** Deadline of any one command. */
  timeoutMs: number;
  sections: Section[];
  /** Keep the temporary directory (kubeconfig, config file) for a look afterwards. */
  keep: boolean;
}

export function readSettings(): Settings {
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown?.length) throw new Error(`BENCH_ONLY: unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.join(', ')}`);
  return {
    runs: int('BENCH_RUNS', 15, 1),
    warmup: int('BENCH_WARMUP', 2, 1),
    lifecycleRuns: int('BENCH_LIFECYCLE_RUNS', 9, 1),
    databaseRuns: int('BENCH_DB_RUNS', 10, 1),
    memoryRuns: int('BENCH_MEMORY_RUNS', 3, 1),
    parallel: int('BENCH_PARALLEL', 20, 1),
    listSizes: list('BENCH_LIST_SIZES', [0, 1, 100, 1000]),
    listDatabases: int('BENCH_LIST_DATABASES', 100, 0),
    bootRuns: int('BENCH_BOOT_RUNS', 5, 1),
    plainBootRuns: int('BENCH_PLAIN_BOOT_RUNS', 3, 1),
    timeoutMs: int('BENCH_TIMEOUT_MS', 120_000, 1000),
    sections: (only as Section[] | undefined) ?? [...SECTIONS],
    keep: process.env.BENCH_KEEP === '1',
  };
}
