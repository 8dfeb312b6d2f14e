import { deleteSpark, type DeleteOutcome } from '../../core/delete.js';
import { locateSpark, openBackend } from '../../backends.js';
import { SparkError, usageError } from '../../errors.js';
import { validateName } from '../../names/index.js';
import type { Context } from '../context.js';

export async function deleteCommand(ctx: Context, names: string[], options: { yes: boolean; keepDatabase: boolean }): Promise<void> {
  const { ui } = ctx;
  names.forEach(validateName);
  if (!options.yes) {
    if (!ui.options.interactive) throw usageError('Refusing to delete without confirmation: no terminal to ask on.', `Add --yes: spark delete ${names.join(' ')} --yes`);
    const what = options.keepDatabase ? '(keeping their databases)' : 'and their databases';
    if (!(await ui.confirm(`Delete ${names.join(', ')} ${what}?`))) {
      ui.info('Nothing deleted.');
      return;
    }
  }
  const config = await ctx.config();
  const outcomes: DeleteOutcome[] = [];
  for (const name of names) {
    const backend = await openBackend(await locateSpark(name, config), config);
    const step = await ui.step(`Deleting ${name}`);
    try {
      const outcome = await deleteSpark(backend, name, { keepDatabase: options.keepDatabase });
      outcomes.push(outcome);
      if (outcome.left.length) step.fail(`${name}: could not remove ${outcome.left.join('; ')}`);
      else step.succeed(outcome.removed.length ? `Deleted ${name}` : `Nothing named ${name} was there`);
    } catch (error) {
      step.fail(`${name}: not deleted`);
      throw error;
    } finally {
      await backend.close();
    }
  }
  ui.result({ deleted: outcomes }, () =>
    outcomes.map((o) => (o.removed.length ? `${o.name}: removed ${o.removed.join(', ')}` : `${o.name}: nothing to remove`)).join('\n'),
  );
  const failed = outcomes.filter((o) => o.left.length);
  if (failed.length) {
    throw new SparkError(`Some parts could not be removed: ${failed.map((o) => `${o.name} (${o.left.join('; ')})`).join(', ')}.`, {
      hint: `Fix the cause above and run again: spark delete ${failed.map((o) => o.name).join(' ')} --yes`,
      code: 'DELETE_INCOMPLETE',
    });
  }
}
