import { Option, type Command } from 'commander';
import { contextFor } from '../context.js';

const SESSIONS_NOTE = `
A copy needs the spark's database free of sessions: spark ends the sessions on that database (only
that one) for the second or so the copy takes; apps reconnect. Snapshots and templates live on the
same PostgreSQL server, closed to connections and tagged to their spark.`;

/** `spark db …`: snapshots, restore, reset and golden templates of sparks' databases. */
export function register(program: Command): void {
  const db = program.command('db').description("snapshots, restore, reset and golden templates of sparks' databases");
  const load = () => import('../actions/db.js');

  db.command('snapshot')
    .description("snapshot a spark's database (ends its sessions for the copy); prints the snapshot id")
    .argument('<name>', 'spark name')
    .option('--label <text>', 'a note to recognise it by')
    .addHelpText('after', SESSIONS_NOTE)
    .action(async (name: string, options: { label?: string }, command: Command) => (await load()).snapshotCommand(contextFor(command), name, options.label));

  db.command('snapshots')
    .description("list a spark's snapshots: id, label, size, created")
    .argument('<name>', 'spark name')
    .action(async (name: string, _options, command: Command) => (await load()).snapshotsCommand(contextFor(command), name));

  db.command('restore')
    .description("make the spark's database the snapshot again (ends its sessions; the snapshot is kept)")
    .argument('<name>', 'spark name')
    .argument('<id>', 'snapshot id (spark db snapshots NAME)')
    .addHelpText('after', SESSIONS_NOTE)
    .action(async (name: string, id: string, _options, command: Command) => (await load()).restoreCommand(contextFor(command), name, id));

  db.command('reset')
    .description("put the spark's database back to its start: empty, or its golden template (ends its sessions)")
    .argument('<name>', 'spark name')
    .addHelpText('after', SESSIONS_NOTE)
    .action(async (name: string, _options, command: Command) => (await load()).resetCommand(contextFor(command), name));

  db.command('drop-snapshot')
    .description('drop one snapshot of a spark')
    .argument('<name>', 'spark name')
    .argument('<id>', 'snapshot id')
    .action(async (name: string, id: string, _options, command: Command) => (await load()).dropSnapshotCommand(contextFor(command), name, id));

  const template = db.command('template').description('golden templates: databases new sparks start from (spark create --db-template T)');
  const runtime = () => new Option('--runtime <runtime>', 'whose templates (SPARK_RUNTIME)').choices(['kubernetes', 'local']);
  template
    .command('create')
    .description("make a golden template from a spark's database (ends its sessions for the copy)")
    .argument('<template>', 'template name (not a spark name)')
    .requiredOption('--from <name>', 'the spark whose database it copies')
    .addHelpText('after', SESSIONS_NOTE)
    .action(async (name: string, options: { from: string }, command: Command) => (await load()).templateCreateCommand(contextFor(command), name, options.from));
  template
    .command('list')
    .description('list golden templates')
    .addOption(runtime())
    .action(async (options: { runtime?: 'kubernetes' | 'local' }, command: Command) => (await load()).templateListCommand(contextFor(command), options.runtime));
  template
    .command('drop')
    .description('drop a golden template (sparks made from it keep their databases)')
    .argument('<template>', 'template name')
    .addOption(runtime())
    .action(async (name: string, options: { runtime?: 'kubernetes' | 'local' }, command: Command) => (await load()).templateDropCommand(contextFor(command), name, options.runtime));
}
