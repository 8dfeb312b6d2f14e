import { createTemplate, dropSnapshot, dropTemplate, listSnapshots, listTemplates, validateLabel, validateSnapshotId, resetDatabase, restoreSnapshot, snapshotSpark, validateTemplateName } from '../../core/branches.js';
import type { Backend } from '../../core/backend.js';
import type { CopyReport, RuntimeKind } from '../../core/ports.js';
import { locateSpark, openBackend, requireRuntime, reservedNames } from '../../backends.js';
import { validateName } from '../../names/index.js';
import type { Context } from '../context.js';
import { renderTable } from '../ui.js';
import { printable as p } from '../printable.js';
import { age, bytes } from './format.js';

/** Open the backend that holds spark `name` (validated first: a bad name is a usage error before anything else). */
async function withSpark<T>(ctx: Context, name: string, work: (backend: Backend) => Promise<T>): Promise<T> {
  validateName(name);
  const config = await ctx.config();
  validateName(name, reservedNames(config));
  const backend = await openBackend(await locateSpark(name, config), config);
  try {
    return await work(backend);
  } finally {
    await backend.close();
  }
}

async function withRuntime<T>(ctx: Context, runtime: RuntimeKind | undefined, work: (backend: Backend) => Promise<T>): Promise<T> {
  const config = await ctx.config({ SPARK_RUNTIME: runtime });
  const backend = await openBackend(await requireRuntime(config), config);
  try {
    return await work(backend);
  } finally {
    await backend.close();
  }
}

function sessions(report: CopyReport): string {
  return report.endedSessions ? `; ended ${report.endedSessions} session${report.endedSessions === 1 ? '' : 's'} on its database for the copy (apps reconnect)` : '';
}

/** A slow step with a spinner; its failure line names what failed, the error says why. */
async function step<T>(ctx: Context, text: string, work: () => Promise<T>, done: (value: T) => string): Promise<T> {
  const s = await ctx.ui.step(text);
  try {
    const value = await work();
    s.succeed(done(value));
    return value;
  } catch (error) {
    s.fail();
    throw error;
  }
}

export async function snapshotCommand(ctx: Context, name: string, label?: string): Promise<void> {
  validateName(name);
  validateLabel(label);
  const snapshot = await withSpark(ctx, name, (backend) =>
    step(ctx, `Snapshotting the database of ${name}`, () => snapshotSpark(backend, name, { label }), (s) => `Snapshot ${s.id} of ${name}${s.sizeBytes === null ? '' : ` (${bytes(s.sizeBytes)})`}${sessions(s)}`),
  );
  ctx.ui.result(snapshot, () => snapshot.id);
}

export async function snapshotsCommand(ctx: Context, name: string): Promise<void> {
  const snapshots = await withSpark(ctx, name, (backend) => listSnapshots(backend, name));
  const table = ctx.ui.json || !snapshots.length ? '' : await renderTable(['ID', 'LABEL', 'SIZE', 'CREATED'], snapshots.map((s) => [s.id, s.label ?? '', s.sizeBytes === null ? '' : bytes(s.sizeBytes), `${age(s.createdAt)} ago`]));
  ctx.ui.result({ spark: name, snapshots }, () => table || ctx.ui.dim(`No snapshots of ${p(name)}. Make one with: spark db snapshot ${p(name)}`));
}

export async function restoreCommand(ctx: Context, name: string, id: string): Promise<void> {
  validateName(name);
  validateSnapshotId(name, id);
  const report = await withSpark(ctx, name, (backend) =>
    step(ctx, `Restoring ${name}'s database to snapshot ${id}`, () => restoreSnapshot(backend, name, id), (r) => `The database of ${name} is snapshot ${id} again${sessions(r)}`),
  );
  ctx.ui.result({ spark: name, restored: id, ...report }, () => '');
}

export async function resetCommand(ctx: Context, name: string): Promise<void> {
  const report = await withSpark(ctx, name, (backend) =>
    step(ctx, `Resetting ${name}'s database`, () => resetDatabase(backend, name), (r) => `The database of ${name} is ${r.template ? `a fresh copy of template ${r.template}` : 'empty'} again${sessions(r)}`),
  );
  ctx.ui.result({ spark: name, ...report }, () => '');
}

export async function dropSnapshotCommand(ctx: Context, name: string, id: string): Promise<void> {
  validateName(name);
  validateSnapshotId(name, id);
  await withSpark(ctx, name, (backend) => step(ctx, `Dropping snapshot ${id} of ${name}`, () => dropSnapshot(backend, name, id), () => `Dropped snapshot ${id} of ${name}`));
  ctx.ui.result({ spark: name, dropped: id }, () => '');
}

export async function templateCreateCommand(ctx: Context, template: string, from: string): Promise<void> {
  validateTemplateName(template);
  const made = await withSpark(ctx, from, (backend) =>
    step(ctx, `Making template ${template} from ${from}`, () => createTemplate(backend, template, from), (t) => `Template ${t.name} made from ${from}${t.sizeBytes === null ? '' : ` (${bytes(t.sizeBytes)})`}${sessions(t)}`),
  );
  ctx.ui.result(made, () => `${made.name}\n${ctx.ui.dim(`Use it: spark create NAME --db-template ${made.name}`)}`);
}

export async function templateListCommand(ctx: Context, runtime?: RuntimeKind): Promise<void> {
  const templates = await withRuntime(ctx, runtime, (backend) => listTemplates(backend));
  const table = ctx.ui.json || !templates.length ? '' : await renderTable(['NAME', 'FROM', 'SIZE', 'CREATED'], templates.map((t) => [t.name, t.from ?? '', t.sizeBytes === null ? '' : bytes(t.sizeBytes), `${age(t.createdAt)} ago`]));
  ctx.ui.result({ templates }, () => table || ctx.ui.dim('No golden templates. Make one with: spark db template create NAME --from SPARK'));
}

export async function templateDropCommand(ctx: Context, template: string, runtime?: RuntimeKind): Promise<void> {
  validateTemplateName(template);
  await withRuntime(ctx, runtime, (backend) => step(ctx, `Dropping template ${template}`, () => dropTemplate(backend, template), () => `Dropped template ${template}`));
  ctx.ui.result({ dropped: template }, () => '');
}
