import { SparkError } from '../errors.js';
import type { Backend } from './backend.js';
import type { ShellInvocation } from './ports.js';

/** `spark shell`: only into a running spark; the caller runs the invocation attached to the terminal. */
export async function shellInto(backend: Backend, name: string, command: string[]): Promise<ShellInvocation> {
  const status = await backend.runtime.status(name);
  if (!status) throw new SparkError(`No spark named "${name}".`, { hint: 'See your sparks with: spark list', code: 'NOT_FOUND' });
  if (status.state !== 'Running') {
    throw new SparkError(`Spark "${name}" is not running (${status.state}${status.reason ? `: ${status.reason}` : ''}).`, {
      hint: `See what is wrong with: spark status ${name}`,
      code: 'NOT_RUNNING',
    });
  }
  return backend.runtime.shell(name, command);
}
