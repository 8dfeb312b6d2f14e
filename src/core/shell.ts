import type { Backend } from './backend.js';
import type { ShellInvocation } from './ports.js';
import { readyToConnect, type ConnectOptions } from './sleep.js';

/** `spark shell`: into a running spark, woken first when it sleeps (unless `wake` is false); the caller runs the invocation attached to the terminal. */
export async function shellInto(backend: Backend, name: string, command: string[], options: { tty?: boolean } & Partial<ConnectOptions> = {}): Promise<ShellInvocation> {
  await readyToConnect(backend, name, { wake: true, timeoutMs: 5 * 60_000, ...options, noWakeFlag: '--no-wake' });
  return backend.runtime.shell(name, command, options);
}
