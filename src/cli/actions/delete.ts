import { deleteSpark, type DeleteOutcome } from '../../core/delete.js';
import { notFound } from '../../core/status.js';
import { locateSpark, openBackend, reservedNames } from '../../backends.js';
import { SparkError, usageError } from '../../errors.js';
import { validateName } from '../../names/index.js';
import type { Context } from '../context.js';
import { updateNames } from '../name-cache.js';
import { printable } from '../printable.js';

export interface DeleteFlags {
  yes: boolean;
  keepDatabase: boolean;
  forceDatabase: boolean;
  ignoreNotFound: boolean;
  keepSnapshots?: boolean;
}

export async function deleteCommand(ctx: Context, names: string[], options: DeleteFlags): Promise<void> {
  const { ui } = ctx;
  for (const name of names) validateName(name);
  if (options.keepDatabase && options.forceDatabase) throw usageError('--keep-db and --force-db contradict each other.', 'Give one of them.');
  const config = await ctx.config();
  for (const name of names) validateName(name, reservedNames(config));
  if (!options.yes) {
    if (!ui.options.interactive) throw usageError('Refusing to delete without confirmation: no terminal to ask on.', `Add --yes: spark delete ${names.join(' ')} --yes`);
    const what = options.keepDatabase ? '(keeping their databases)' : 'and their databases';
    if (!(await ui.confirm(`Delete ${names.join(', ')} ${what}?`))) {
      ui.info('Nothing deleted.');
      return;
    }
  }
  const outcomes: DeleteOutcome[] = [];
  const missing: SparkError[] = [];
  for (const name of names) {
    let kind;
    try {
      kind = await locateSpark(name, config);
    } catch (error) {
      if (!(error instanceof SparkError && error.code === 'NOT_FOUND')) throw error;
      if (!options.ignoreNotFound) missing.push(error);
      continue;
    }
    const backend = await openBackend(kind, config);
    const step = await ui.step(`Deleting ${name}`);
    try {
      const outcome = await deleteSpark(backend, name, { keepDatabase: options.keepDatabase, forceDatabase: options.forceDatabase, keepSnapshots: options.keepSnapshots });
      if (!outcome.removed.length && !outcome.left.length) {
        step.succeed(`Nothing named ${name} was there`);
        if (!options.ignoreNotFound) missing.push(await notFound(backend, name));
        continue;
      }
      outcomes.push(outcome);
      if (outcome.left.length) step.fail(`${name}: could not remove ${outcome.left.join('; ')}`);
      else step.succeed(`Deleted ${name}`);
    } catch (error) {
      step.fail(`${name}: not deleted`);
      throw error;
    } finally {
      await backend.close();
    }
  }
  updateNames([], outcomes.filter((o) => !o.left.length).map((o) => o.name));
  const failed = outcomes.filter((o) => o.left.length);
  if (failed.length) {
    ui.result({ deleted: outcomes }, () => outcomes.map((o) => printable(o.removed.length ? `${o.name}: removed ${o.removed.join(', ')}` : `${o.name}: nothing removed`)).join('\n'));
    throw new SparkError(`Some parts could not be removed: ${failed.map((o) => `${o.name} (${o.left.join('; ')})`).join(', ')}.`, {
      hint: `Fix the cause above and run again: spark delete ${failed.map((o) => o.name).join(' ')} --yes`,
      code: 'DELETE_INCOMPLETE',
    });
  }
  if (missing.length) {
    if (outcomes.length) ui.info(outcomes.map((o) => `${o.name}: removed ${o.removed.join(', ')}`).join('\n'));
    if (missing.length === 1) throw missing[0]!;
    throw new SparkError(missing.map((e) => e.message).join(' '), { hint: 'See your sparks with: spark list (or add --ignore-not-found)', code: 'NOT_FOUND' });
  }
  ui.result({ deleted: outcomes }, () => (outcomes.length ? outcomes.map((o) => printable(`${o.name}: removed ${o.removed.join(', ')}`)).join('\n') : 'Nothing to remove.'));
}
