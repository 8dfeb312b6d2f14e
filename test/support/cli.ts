import { fileURLToPath } from 'node:url';
import { capture, type Captured } from './capture.js';

export const SPARK_BIN = fileURLToPath(new URL('../../dist/spark.mjs', import.meta.url));

export type RunResult = Captured;

/** Run the built `spark` as a user would: a subprocess, no TTY, the given environment only. */
export function runSpark(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return capture(process.execPath, [SPARK_BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    cwd: options.cwd,
    input: options.input,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}
