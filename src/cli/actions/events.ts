import { sparkEvents } from '../../core/observe.js';
import { openBackendOf } from '../../backends.js';
import { validateName } from '../../names/index.js';
import type { Context } from '../context.js';
import { printable as p } from '../printable.js';
import { age } from './format.js';

/** `spark events NAME`: the events `status` shows, whole, with their age (kubectl's layout). */
export async function eventsCommand(ctx: Context, name: string): Promise<void> {
  validateName(name);
  const config = await ctx.config();
  const backend = await openBackendOf(name, config);
  try {
    const events = await sparkEvents(backend, name);
    ctx.ui.result({ name, events }, () => {
      if (!events.length) return `No events about spark ${name} (the cluster keeps them for about an hour).`;
      const rows = events.map((e) => [e.at ? age(e.at) : '?', e.type, e.reason, e.message].map((c) => p(c)));
      const widths = [0, 1, 2].map((i) => Math.max(['AGE', 'TYPE', 'REASON'][i]!.length, ...rows.map((r) => r[i]!.length)));
      const line = (cells: string[]): string => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('   ');
      return [line(['AGE', 'TYPE', 'REASON', 'MESSAGE']), ...rows.map((r) => line([r[0]!, r[1] === 'Warning' ? ctx.ui.yellow(r[1].padEnd(widths[1]!)) : r[1]!, r[2]!, r[3]!]))].join('\n');
    });
  } finally {
    await backend.close();
  }
}
