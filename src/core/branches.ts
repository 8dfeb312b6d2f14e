/**
 * `spark db …`: snapshots, restore, reset and golden templates of sparks' databases. The database
 * layer does the copying (CREATE DATABASE … TEMPLATE, as the spark role); here is the story around
 * it: whose database it is, never under a running create, and the errors a user can act on.
 */
import { SparkError, usageError } from '../errors.js';
import { nameProblem, validateName } from '../names/index.js';
import type { Backend } from './backend.js';
import { describeMark } from './inflight.js';
import type { BranchLeftover, CopyReport, DatabaseBranches, DatabaseSnapshot, DatabaseTemplate } from './ports.js';

export const MAX_LABEL_LENGTH = 200;
/** A template's database is `<name>@template`, within PostgreSQL's 63 bytes. */
export const MAX_TEMPLATE_NAME = 63 - '@template'.length;

export function validateTemplateName(name: string, reserved: readonly string[] = []): string {
  const problem = nameProblem(name, reserved) ?? (name.length > MAX_TEMPLATE_NAME ? `it is ${name.length} characters long; the limit is ${MAX_TEMPLATE_NAME}` : undefined);
  if (problem) throw usageError(`Invalid template name ${JSON.stringify(name)}: ${problem}.`, 'Use a DNS-1123 label like "app-schema" (a-z, 0-9 and "-", starting with a letter).');
  return name;
}

/** The database layer's branching, or why not: the database layer's own reason (e.g. no POSTGRES_PASSWORD), else a clear "no". */
export async function requireBranches(backend: Backend): Promise<DatabaseBranches> {
  const branches = backend.databases.branches;
  if (branches) return branches;
  await backend.databases.list();
  throw new SparkError(`The ${backend.kind} runtime's database cannot be snapshotted.`, { hint: 'Update spark.', code: 'UNSUPPORTED' });
}

/** Snapshot ids are 6 lowercase letters and digits (database/branches.ts makes them). */
export function validateSnapshotId(spark: string, id: string): string {
  if (!/^[a-z0-9]{6}$/.test(id)) throw usageError(`Invalid snapshot id ${JSON.stringify(id)}: ids are 6 lowercase letters and digits.`, `See the ids with: spark db snapshots ${spark}`);
  return id;
}

export function validateLabel(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  if (/[\u0000-\u001f\u007f]/.test(label)) throw usageError('A snapshot label must be one line of printable text.', 'For example: --label "before the migration"');
  if (label.length > MAX_LABEL_LENGTH) throw usageError(`A snapshot label is at most ${MAX_LABEL_LENGTH} characters (this one has ${label.length}).`, 'Shorten it.');
  return label.trim() || undefined;
}

/** A create of this name still running would be copying into (or dropping) the same database. */
async function notWhileCreating(backend: Backend, name: string): Promise<void> {
  const mark = await backend.runtime.creating(name);
  if (mark) {
    throw new SparkError(`"${name}" is still being created (${describeMark(mark)}); its database is not ready to copy.`, {
      hint: `Wait for that create to finish, then run this again.`,
      code: 'CREATE_IN_FLIGHT',
    });
  }
}

export async function snapshotSpark(backend: Backend, name: string, options: { label?: string; now?: Date } = {}): Promise<DatabaseSnapshot & CopyReport> {
  validateName(name);
  const label = validateLabel(options.label);
  const branches = await requireBranches(backend);
  await notWhileCreating(backend, name);
  return branches.snapshot(name, { label, createdAt: (options.now ?? new Date()).toISOString() });
}

export async function listSnapshots(backend: Backend, name: string): Promise<DatabaseSnapshot[]> {
  validateName(name);
  const branches = await requireBranches(backend);
  const [snapshots, database] = await Promise.all([branches.snapshots(name), backend.databases.get(name)]);
  if (!snapshots.length && !database?.ours && !(await backend.runtime.exists(name))) {
    const { notFound } = await import('./status.js');
    throw await notFound(backend, name);
  }
  return snapshots;
}

export async function restoreSnapshot(backend: Backend, name: string, id: string): Promise<CopyReport> {
  validateName(name);
  validateSnapshotId(name, id);
  const branches = await requireBranches(backend);
  await notWhileCreating(backend, name);
  return branches.restore(name, id);
}

export async function resetDatabase(backend: Backend, name: string): Promise<CopyReport & { template: string | null }> {
  validateName(name);
  const branches = await requireBranches(backend);
  await notWhileCreating(backend, name);
  return branches.reset(name);
}

export async function dropSnapshot(backend: Backend, name: string, id: string): Promise<void> {
  validateName(name);
  validateSnapshotId(name, id);
  return (await requireBranches(backend)).dropSnapshot(name, id);
}

/** A template name must not be a spark's: `spark create T` and the template would be confused. */
export async function createTemplate(backend: Backend, template: string, from: string, now = new Date()): Promise<DatabaseTemplate & CopyReport> {
  validateTemplateName(template);
  validateName(from);
  const branches = await requireBranches(backend);
  if (await backend.runtime.exists(template)) {
    throw new SparkError(`"${template}" is the name of a spark: a template may not share it.`, { hint: `Choose another template name, e.g. ${template}-template`, code: 'NAME_TAKEN' });
  }
  await notWhileCreating(backend, from);
  return branches.createTemplate(template, from, { createdAt: now.toISOString() });
}

export async function dropTemplate(backend: Backend, template: string): Promise<void> {
  const outcome = await (await requireBranches(backend)).dropTemplate(template);
  if (outcome === 'absent') {
    const names = (await (await requireBranches(backend)).templates()).map((t) => t.name);
    throw new SparkError(`No golden template named "${template}".${names.length ? ` Templates: ${names.join(', ')}.` : ''}`, { hint: 'See them with: spark db template list', code: 'TEMPLATE_NOT_FOUND' });
  }
}

export async function listTemplates(backend: Backend): Promise<DatabaseTemplate[]> {
  return (await requireBranches(backend)).templates();
}

/** Doctor's view: copies whose spark is gone, after the repairs an interrupted copy needs. */
export async function branchLeftovers(backend: Backend): Promise<BranchLeftover[]> {
  return backend.databases.branches ? backend.databases.branches.leftovers() : [];
}
