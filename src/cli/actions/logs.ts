import { sparkLogs } from '../../core/observe.js';
import { openBackendOf } from '../../backends.js';
import { interrupted } from '../../errors.js';
import { validateName } from '../../names/index.js';
import type { Context } from '../context.js';
import { jsonText, printable } from '../printable.js';

/** `spark logs NAME [-f] [--since DUR]`: whole lines, made printable; with --json one document (or, with -f, one JSON line a log line). */
export async function logsCommand(ctx: Context, name: string, options: { follow: boolean; sinceMs?: number }): Promise<void> {
  validateName(name);
  const config = await ctx.config();
  const backend = await openBackendOf(name, config);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const lines: string[] = [];
  let partial = '';
  const emit = (line: string): void => {
    if (!ctx.ui.json) ctx.ui.print(`${printable(line)}\n`);
    else if (options.follow) ctx.ui.print(`${JSON.stringify({ line })}\n`);
    else lines.push(line);
  };
  try {
    await sparkLogs(backend, name, {
      follow: options.follow,
      sinceSeconds: options.sinceMs === undefined ? undefined : options.sinceMs / 1000,
      signal: stop.signal,
      write(text) {
        const parts = (partial + text).split('\n');
        partial = parts.pop()!;
        for (const line of parts) emit(line.replace(/\r$/, ''));
      },
    });
    if (partial) emit(partial);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await backend.close();
  }
  if (ctx.ui.json && !options.follow) ctx.ui.print(`${jsonText({ name, lines })}\n`);
  // Following ends with Ctrl-C: said plainly, exit 130.
  if (stop.signal.aborted) throw interrupted(`Stopped following the log of ${name}.`);
}
