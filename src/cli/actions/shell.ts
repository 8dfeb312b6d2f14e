import { shellInto } from '../../core/shell.js';
import { locateSpark, openBackend } from '../../backends.js';
import { validateName } from '../../names/index.js';
import { runAttached } from '../attached.js';
import type { Context } from '../context.js';

export async function shellCommand(ctx: Context, name: string, command: string[]): Promise<void> {
  validateName(name);
  const config = await ctx.config();
  const backend = await openBackend(await locateSpark(name, config), config);
  let invocation;
  try {
    invocation = await shellInto(backend, name, command);
  } finally {
    await backend.close();
  }
  // The exit code of the remote command is ours.
  process.exitCode = await runAttached(invocation);
}
