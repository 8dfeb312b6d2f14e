import { listSparks, unavailable, type SparkRow, type Unavailable } from '../../core/list.js';
import { CONNECTION_KEYS } from '../../config/index.js';
import { hasClusterConfig, knownBackendKinds, openBackend } from '../../backends.js';
import { connectEarlyFrom } from '../../database/early.js';
import type { Backend } from '../../core/backend.js';
import type { Context } from '../context.js';
import { renderTable } from '../ui.js';
import { printable, printableLines } from '../printable.js';
import { age, bytes } from './format.js';
import { describeExpiry } from '../../core/expiry.js';
import { printYaml, terminalWidth, type OutputFormat } from '../output.js';
import { rememberNames } from '../name-cache.js';

export async function listCommand(ctx: Context, format: OutputFormat = 'table'): Promise<void> {
  const { ui } = ctx;
  // Only the connection settings: the spark-cli-config Secret is asked only when one is not given here.
  const config = await ctx.config({}, { needs: CONNECTION_KEYS });
  // The PostgreSQL login starts now, while the cluster adapter loads and the cluster is asked.
  const early = hasClusterConfig(config) ? connectEarlyFrom(config) : undefined;
  const backends: Backend[] = [];
  const unopened: Unavailable[] = [];
  try {
    const kinds = await knownBackendKinds(config);
    await Promise.all(
      kinds.map(async (kind) => {
        try {
          backends.push(await openBackend(kind, config));
        } catch (error) {
          unopened.push(unavailable(kind, 'runtime', error));
        }
      }),
    );
    // Database sizes only where every column is asked for: each one reads the database's files.
    const listing = await listSparks(backends, { sizes: format === 'wide' });
    listing.unavailable.push(...unopened);
    // Only a complete listing replaces the names shell completion offers.
    if (!listing.unavailable.length) rememberNames(listing.sparks.map((s) => s.name));
    if (format === 'yaml') return await printYaml(listing);
    if (format === 'name') {
      for (const u of listing.unavailable) ui.warn(`${u.runtime} ${u.part} unavailable: ${u.reason}`);
      if (listing.sparks.length) ui.print(`${listing.sparks.map((s) => s.name).join('\n')}\n`);
      return;
    }
    const wide = format === 'wide';
    const showRuntime = wide || new Set(listing.sparks.map((s) => s.runtime)).size > 1;
    // Only where it says something: a listing without any expiry has no EXPIRES column.
    const showExpiry = listing.sparks.some((s) => s.expiresAt);
    // The table only for people: at 1,000 sparks it costs more memory than the listing itself.
    const rendered = ui.json ? '' : await renderTable(
      [...['NAME'], ...(showRuntime ? ['RUNTIME'] : []), 'STATUS', 'AGE', ...(showExpiry ? ['EXPIRES'] : []), 'DATABASE', ...(wide ? ['OWNER'] : []), 'SSH', ...(wide ? ['HOST'] : []), 'REPO'],
      listing.sparks.map((s) => [
        s.name, ...(showRuntime ? [s.runtime] : []), state(s), age(s.createdAt), ...(showExpiry ? [describeExpiry(s.expiresAt)] : []), database(s, listing.unavailable.length > 0),
        ...(wide ? [s.database?.owner ?? ''] : []), s.ssh ?? '', ...(wide ? [s.host ?? ''] : []), s.repo ?? '',
      ]),
      { maxWidth: wide ? undefined : terminalWidth(), keep: [0] },
    );
    ui.result(listing, () => {
      const notes = listing.unavailable.map((u) => ui.yellow(`${u.runtime} ${u.part} unavailable: ${printable(u.reason)}`) + (u.fix ? `\n${ui.dim(`fix: ${printableLines(u.fix).split('\n').join('\n     ')}`)}` : ''));
      if (kinds.length === 0) notes.push(ui.dim('No cluster configured and no local sparks. Try: spark create --runtime local'));
      const body = listing.sparks.length ? rendered : ui.dim('No sparks.');
      return [body, ...notes].join('\n');
    });
  } finally {
    await Promise.all(backends.map((b) => b.close()));
    await early?.release();
  }
}

function state(row: SparkRow): string {
  // "Sleeping 2h": asleep for that long (spark sleep noted when).
  const shown = row.state === 'Sleeping' && row.sleepingSince ? `Sleeping ${age(row.sleepingSince)}` : row.state;
  const text = row.reason && row.state !== 'Running' ? `${shown} (${row.reason})` : shown;
  return row.legacy ? `${text} [go-cli]` : text;
}

function database(row: SparkRow, someUnavailable: boolean): string {
  if (!row.database) return someUnavailable ? '?' : '-';
  const snaps = row.snapshots?.count ? `, ${row.snapshots.count} snapshot${row.snapshots.count === 1 ? '' : 's'} ${bytes(row.snapshots.sizeBytes)}` : '';
  return row.database.sizeBytes === null ? `${row.database.name}${snaps ? ` (${snaps.slice(2)})` : ''}` : `${row.database.name} (${bytes(row.database.sizeBytes)}${snaps})`;
}
