import { sparkStatus } from '../../core/status.js';
import { locateSpark, openBackend, reservedNames } from '../../backends.js';
import { CONNECTION_KEYS } from '../../config/index.js';
import type { Backend } from '../../core/backend.js';
import { connectEarlyFrom } from '../../database/early.js';
import { runtimeEntry } from '../../runtimes/registry.js';
import { validateName } from '../../names/index.js';
import type { Context } from '../context.js';
import { truncate } from '../fit.js';
import { printable as p } from '../printable.js';
import { age, bytes } from './format.js';
import { describeExpiry } from '../../core/expiry.js';
import { printYaml, terminalWidth, type OutputFormat } from '../output.js';

export async function statusCommand(ctx: Context, name: string, format: OutputFormat = 'table'): Promise<void> {
  const { ui } = ctx;
  validateName(name);
  // Only the connection settings: the spark-cli-config Secret is asked only when one is not given here.
  const config = await ctx.config({}, { needs: CONNECTION_KEYS });
  validateName(name, reservedNames(config));
  const kind = await locateSpark(name, config);
  // The login to the configured PostgreSQL server (a runtime with a server of its own uses that one)
  // starts now, while the runtime's adapter loads and the runtime is asked.
  const early = runtimeEntry(kind).ownServerVersion ? undefined : connectEarlyFrom(config);
  let backend: Backend;
  try {
    backend = await openBackend(kind, config);
  } catch (error) {
    await early?.release();
    throw error;
  }
  try {
    const status = await sparkStatus(backend, name);
    if (format === 'yaml') return await printYaml(status);
    if (format === 'name') return ui.print(`${status.name}\n`);
    const width = format === 'wide' ? undefined : terminalWidth();
    const { default: stringWidth } = await import('string-width');
    ui.result(status, () => {
      const lines = [
        `${ui.bold(p(status.name))}  ${status.state}${status.sleepingSince ? ` since ${age(status.sleepingSince)} ago` : ''}${status.reason ? ` (${p(status.reason)})` : ''}${status.legacy ? '  [made by the Go CLI]' : ''}`,
        `runtime   ${status.runtime}${status.createdAt ? `, created ${age(status.createdAt)} ago` : ''}`,
      ];
      lines.push(`expires   ${status.expiresAt ? `${describeExpiry(status.expiresAt)} (${status.expiresAt})` : 'never'}`);
      if (status.phase) lines.push(`pod       ${status.phase}, ${status.restarts ?? 0} restarts`);
      if (status.repo) lines.push(`repo      ${p(status.repo)}`);
      if (status.database) {
        const size = status.database.sizeBytes == null ? '' : `, ${bytes(status.database.sizeBytes)}`;
        const conns = status.database.connections == null ? '' : `, ${status.database.connections} open connections`;
        lines.push(`database  ${p(status.database.name)} (owner ${p(status.database.owner)}${size}${conns})`);
        if (status.snapshots?.count) lines.push(`snapshots ${status.snapshots.count}, ${bytes(status.snapshots.sizeBytes)} (spark db snapshots ${p(status.name)})`);
      } else {
        lines.push(`database  ${status.databaseUnavailable ? ui.yellow(`unavailable: ${p(status.databaseUnavailable)}`) : 'none'}`);
      }
      lines.push(`connect   ${p(runtimeEntry(status.runtime).connectHint(status).command)}${status.host ? ` (${p(status.host)})` : ''}`);
      if (status.objects.length) {
        lines.push('', 'objects');
        for (const o of status.objects) lines.push(`  ${o.exists ? ui.green('✓') : ui.red('✗')} ${o.kind} ${p(o.name)}`);
      }
      if (status.events.length) {
        lines.push('', 'recent events');
        for (const e of status.events) {
          // Long messages are cut to the terminal's width; -o wide shows them whole, with their times.
          const at = format === 'wide' && e.at ? `${p(e.at)} ` : '';
          const text = p(`${e.reason}: ${e.message}`);
          const room = width ? Math.max(width - 3 - stringWidth(`${at}${e.type}`), 10) : undefined;
          lines.push(`  ${at}${e.type === 'Warning' ? ui.yellow(e.type) : p(e.type)} ${room ? truncate(text, room, stringWidth) : text}`);
        }
      }
      return lines.join('\n');
    });
  } finally {
    await backend.close();
    await early?.release();
  }
}
