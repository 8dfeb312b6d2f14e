import { sparkStatus } from '../../core/status.js';
import { locateSpark, openBackend } from '../../backends.js';
import { validateName } from '../../names/index.js';
import type { Context } from '../context.js';
import { age, bytes } from './format.js';

export async function statusCommand(ctx: Context, name: string): Promise<void> {
  const { ui } = ctx;
  validateName(name);
  const config = await ctx.config();
  const backend = await openBackend(await locateSpark(name, config), config);
  try {
    const status = await sparkStatus(backend, name);
    ui.result(status, () => {
      const lines = [
        `${ui.bold(status.name)}  ${status.state}${status.reason ? ` (${status.reason})` : ''}${status.legacy ? '  [made by the Go CLI]' : ''}`,
        `runtime   ${status.runtime}${status.createdAt ? `, created ${age(status.createdAt)} ago` : ''}`,
      ];
      if (status.phase) lines.push(`pod       ${status.phase}, ${status.restarts ?? 0} restarts`);
      if (status.repo) lines.push(`repo      ${status.repo}`);
      if (status.database) {
        const size = status.database.sizeBytes == null ? '' : `, ${bytes(status.database.sizeBytes)}`;
        const conns = status.database.connections == null ? '' : `, ${status.database.connections} open connections`;
        lines.push(`database  ${status.database.name} (owner ${status.database.owner}${size}${conns})`);
      } else {
        lines.push(`database  ${status.databaseUnavailable ? ui.yellow(`unavailable: ${status.databaseUnavailable}`) : 'none'}`);
      }
      lines.push(`connect   ${status.runtime === 'local' ? `spark shell ${status.name}` : (status.ssh ?? `ssh user@spark-${status.name}`)}${status.host ? ` (${status.host})` : ''}`);
      if (status.objects.length) {
        lines.push('', 'objects');
        for (const o of status.objects) lines.push(`  ${o.exists ? ui.green('✓') : ui.red('✗')} ${o.kind} ${o.name}`);
      }
      if (status.events.length) {
        lines.push('', 'recent events');
        for (const e of status.events) lines.push(`  ${e.type === 'Warning' ? ui.yellow(e.type) : e.type} ${e.reason}: ${e.message}`);
      }
      return lines.join('\n');
    });
  } finally {
    await backend.close();
  }
}
