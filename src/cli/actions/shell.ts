import { shellInto } from '../../core/shell.js';
import { locateSpark, openBackend, reservedNames } from '../../backends.js';
import { validateName } from '../../names/index.js';
import { runAttached } from '../attached.js';
import type { Context } from '../context.js';

/** ssh's exit code when it failed itself (remote commands that exit 255 are rare). */
const SSH_CONNECTION_FAILED = 255;

export async function shellCommand(ctx: Context, name: string, command: string[]): Promise<void> {
  validateName(name);
  const config = await ctx.config();
  validateName(name, reservedNames(config));
  const backend = await openBackend(await locateSpark(name, config), config);
  let invocation;
  try {
    invocation = await shellInto(backend, name, command, { tty: Boolean(process.stdin.isTTY) });
  } finally {
    await backend.close();
  }
  // The exit code of the remote command is ours.
  process.exitCode = await runAttached(invocation);
  if (process.exitCode === SSH_CONNECTION_FAILED && invocation.connectionHint) ctx.ui.warn(invocation.connectionHint);
}
