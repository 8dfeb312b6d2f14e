import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The built CLI; BENCH_SPARK measures another build instead (e.g. a change against main's dist/). */
export const SPARK = process.env.BENCH_SPARK || fileURLToPath(new URL('../../dist/spark.cjs', import.meta.url));
