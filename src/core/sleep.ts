/**
 * `spark sleep` and `spark wake`, and waking on connect (`spark shell`, `spark forward`,
 * `spark proxy`): the runtime's sleep capability does the scaling; here is the story around it —
 * the spark must exist, a sleeper is woken and waited for, and each name says what happened.
 */
import { SparkError } from '../errors.js';
import type { Backend } from './backend.js';
import { requireCapability } from './capabilities.js';
import type { OnProgress, RuntimeStatus, SparkState } from './ports.js';
import { notFound } from './status.js';

/** What one name came to: `changed` false when it was already in that state. */
export interface SleepOutcome {
  name: string;
  state: SparkState;
  changed: boolean;
}

export interface WakeOptions {
  /** Wait until the spark is ready (with `timeoutMs`), or return once it is scaled up. */
  wait: boolean;
  timeoutMs: number;
  onProgress?: OnProgress;
  signal?: AbortSignal;
}

/** The spark as the runtime sees it; `No spark named` when it has nothing of it. */
async function existing(backend: Backend, name: string): Promise<RuntimeStatus> {
  const status = await backend.runtime.status(name);
  if (!status) throw await notFound(backend, name);
  return status;
}

/** Scale to zero; home, database, Secret and the rest are kept. A sleeper stays asleep (changed: false). */
export async function sleepSpark(backend: Backend, name: string): Promise<SleepOutcome> {
  const sleep = requireCapability(backend.runtime, 'sleep');
  await existing(backend, name);
  const changed = await sleep.sleep(name);
  return { name, state: 'Sleeping', changed };
}

/** Scale back up and, with `wait`, wait until it is ready. An awake spark is left as it is (changed: false). */
export async function wakeSpark(backend: Backend, name: string, options: WakeOptions): Promise<SleepOutcome> {
  const sleep = requireCapability(backend.runtime, 'sleep');
  const before = await existing(backend, name);
  const changed = await sleep.wake(name);
  if (!options.wait) return { name, state: changed ? 'Starting' : before.state, changed };
  const ready = await backend.runtime.waitReady(name, { timeoutMs: options.timeoutMs, onProgress: options.onProgress, signal: options.signal });
  return { name, state: ready.state, changed };
}

export interface ConnectOptions extends Omit<WakeOptions, 'wait'> {
  /** Wake a sleeper (the default of every command that connects), or refuse it. */
  wake: boolean;
  /** The flag that said not to wake, for the refusal ("--no-wake"). */
  noWakeFlag?: string;
}

/**
 * Before connecting: a sleeping spark is woken and waited for (unless `wake` is false: then the
 * refusal names the fix); any other state that is not Running is refused with how to look at it.
 * Resolves whether it had to wake the spark.
 */
export async function readyToConnect(backend: Backend, name: string, options: ConnectOptions): Promise<boolean> {
  const status = await existing(backend, name);
  if (status.state === 'Running') return false;
  if (status.state === 'Sleeping') {
    if (!options.wake) {
      throw new SparkError(`Spark "${name}" is asleep${options.noWakeFlag ? ` (and ${options.noWakeFlag} was given)` : ''}.`, {
        hint: `Wake it with: spark wake ${name}`,
        code: 'SLEEPING',
      });
    }
    await wakeSpark(backend, name, { ...options, wait: true });
    return true;
  }
  // Starting: it is on its way (just woken or created elsewhere): wait for it as wake would.
  if (status.state === 'Starting' && options.wake) {
    await backend.runtime.waitReady(name, { timeoutMs: options.timeoutMs, onProgress: options.onProgress, signal: options.signal });
    return false;
  }
  throw new SparkError(`Spark "${name}" is not running (${status.state}${status.reason ? `: ${status.reason}` : ''}).`, {
    hint: `See what is wrong with: spark status ${name}`,
    code: 'NOT_RUNNING',
  });
}
