import { shellInto } from '../../core/shell.js';
import { locateSpark, openBackend, reservedNames } from '../../backends.js';
import { validateName } from '../../names/index.js';
import { runAttached } from '../attached.js';
import type { Context } from '../context.js';
import { connecting } from './sleep.js';

/** ssh's exit code when it failed itself (remote commands that exit 255 are rare). */
const SSH_CONNECTION_FAILED = 255;

export async function shellCommand(ctx: Context, name: string, command: string[], options: { wake: boolean } = { wake: true }): Promise<void> {
  validateName(name);
  const config = await ctx.config();
  validateName(name, reservedNames(config));
  const backend = await openBackend(await locateSpark(name, config), config);
  let invocation;
  try {
    invocation = await connecting(ctx.ui, name, (p) => shellInto(backend, name, command, { tty: Boolean(process.stdin.isTTY), wake: options.wake, ...p }));
  } finally {
    await backend.close();
  }
  // The exit code of the remote command is ours.
  process.exitCode = await runAttached(invocation);
  if (process.exitCode === SSH_CONNECTION_FAILED && invocation.connectionHint) ctx.ui.warn(invocation.connectionHint);
}
