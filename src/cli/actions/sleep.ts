import { sleepSpark, wakeSpark, type SleepOutcome } from '../../core/sleep.js';
import type { Backend } from '../../core/backend.js';
import type { OnProgress } from '../../core/ports.js';
import { locateSpark, openBackend, reservedNames } from '../../backends.js';
import { SparkError, interrupted } from '../../errors.js';
import { validateName } from '../../names/index.js';
import type { Context } from '../context.js';
import type { Step, Ui } from '../ui.js';

/** How long waking waits for readiness unless told otherwise (create's default). */
export const WAKE_TIMEOUT_MS = 5 * 60_000;

const SAID = {
  sleep: { true: 'put to sleep', false: 'already asleep' },
  wake: { true: 'woken', false: 'already awake' },
} as const;

/**
 * Run `act` for each name in turn (each where it lives); names that exist nowhere are collected and
 * reported after the others were done, as delete does. stdout: one line per name, or
 * `{"sparks":[{"name","state","changed"}]}` with --json.
 */
async function eachSpark(ctx: Context, names: string[], verb: 'sleep' | 'wake', act: (backend: Backend, name: string) => Promise<SleepOutcome>): Promise<void> {
  for (const name of names) validateName(name);
  const config = await ctx.config();
  for (const name of names) validateName(name, reservedNames(config));
  const sparks: SleepOutcome[] = [];
  const missing: SparkError[] = [];
  for (const name of [...new Set(names)]) {
    let backend: Backend;
    try {
      backend = await openBackend(await locateSpark(name, config), config);
    } catch (error) {
      if (error instanceof SparkError && error.code === 'NOT_FOUND') {
        missing.push(error);
        continue;
      }
      throw error;
    }
    try {
      sparks.push(await act(backend, name));
    } catch (error) {
      if (!(error instanceof SparkError && error.code === 'NOT_FOUND' && error.message.startsWith('No spark named'))) throw error;
      missing.push(error);
    } finally {
      await backend.close();
    }
  }
  if (missing.length) {
    for (const s of sparks) ctx.ui.info(`${s.name}: ${SAID[verb][`${s.changed}`]}`);
    if (missing.length === 1) throw missing[0]!;
    throw new SparkError(missing.map((e) => e.message).join(' '), { hint: 'See your sparks with: spark list', code: 'NOT_FOUND' });
  }
  ctx.ui.result({ sparks }, () => sparks.map((s) => `${s.name}: ${SAID[verb][`${s.changed}`]}${verb === 'wake' ? ` (${s.state})` : ''}`).join('\n'));
}

export async function sleepCommand(ctx: Context, names: string[]): Promise<void> {
  await eachSpark(ctx, names, 'sleep', (backend, name) => sleepSpark(backend, name));
}

export async function wakeCommand(ctx: Context, names: string[], options: { wait: boolean; timeoutMs: number }): Promise<void> {
  await eachSpark(ctx, names, 'wake', (backend, name) => wakeWithProgress(ctx.ui, backend, name, options));
}

/**
 * Connecting to a spark (shell, forward, proxy): `connect` wakes a sleeper first (core/sleep.ts
 * readyToConnect) and reports progress, shown as create shows it, on stderr. The step appears with
 * the first progress, so connecting to a running spark (the usual case) says nothing extra.
 */
export async function connecting<T>(ui: Ui, name: string, connect: (p: { onProgress: OnProgress; signal: AbortSignal; timeoutMs: number }) => Promise<T>, timeoutMs = WAKE_TIMEOUT_MS): Promise<T> {
  let step: Promise<Step> | undefined;
  const onProgress: OnProgress = (e) => {
    step ??= ui.step(`Waking ${name}`);
    void step.then((s) => s.update(e.detail ? `${e.step}: ${e.detail}` : e.step));
  };
  return interruptible(`Stopped waiting for ${name}; it goes on starting.`, async (signal) => {
    try {
      const result = await connect({ onProgress, signal, timeoutMs });
      if (step) (await step).succeed(`${name} is awake`);
      return result;
    } catch (error) {
      if (step) (await step).fail(`${name} did not wake`);
      throw error;
    }
  });
}

/** Wake one spark with create's progress (a step on stderr); Ctrl-C stops the wait, not the spark. */
async function wakeWithProgress(ui: Ui, backend: Backend, name: string, options: { wait: boolean; timeoutMs: number }): Promise<SleepOutcome> {
  const step = options.wait ? await ui.step(`Waking ${name}`) : { update() {}, succeed() {}, fail() {} };
  return interruptible(`Stopped waiting for ${name}; it goes on starting.`, async (signal) => {
    try {
      const outcome = await wakeSpark(backend, name, { ...options, signal, onProgress: (e) => step.update(e.detail ? `${e.step}: ${e.detail}` : e.step) });
      step.succeed(outcome.changed ? `${name} is awake` : `${name} was awake`);
      return outcome;
    } catch (error) {
      step.fail(`${name} did not wake`);
      throw error;
    }
  });
}

/** Run with a signal that Ctrl-C (or SIGTERM) aborts: the wait then ends as interrupted (exit 130). */
async function interruptible<T>(said: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.on('SIGINT', abort);
  process.on('SIGTERM', abort);
  try {
    return await run(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw interrupted(said);
    throw error;
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}
