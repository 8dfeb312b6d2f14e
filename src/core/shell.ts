import { SparkError } from '../errors.js';
import type { Backend } from './backend.js';
import type { ShellInvocation } from './ports.js';
import { notFound } from './status.js';

/** `spark shell`: only into a running spark; the caller runs the invocation attached to the terminal. */
export async function shellInto(backend: Backend, name: string, command: string[], options: { tty?: boolean } = {}): Promise<ShellInvocation> {
  const status = await backend.runtime.status(name);
  if (!status) throw await notFound(backend, name);
  if (status.state !== 'Running') {
    throw new SparkError(`Spark "${name}" is not running (${status.state}${status.reason ? `: ${status.reason}` : ''}).`, {
      hint: `See what is wrong with: spark status ${name}`,
      code: 'NOT_RUNNING',
    });
  }
  return backend.runtime.shell(name, command, options);
}
