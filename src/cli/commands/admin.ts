import { Option, type Command } from 'commander';
import { usageError } from '../../errors.js';
import type { SslMode } from '../../database/settings.js';
import { contextFor, type Context } from '../context.js';

interface SetupFlags {
  superuserUrl?: string;
  passwordStdin?: boolean;
  printSql?: boolean;
  isolation?: 'shared' | 'role';
}

/** `spark admin …`: setting up and maintaining the spark role (seed §1 and "Rotate Regularly"). */
export function register(program: Command): void {
  const admin = program.command('admin').description('set up and maintain the PostgreSQL spark role');
  admin
    .command('setup-db')
    .description('create or repair the spark role from a superuser connection (idempotent)')
    .option('--superuser-url <url>', 'a superuser connection, e.g. postgresql://postgres:PASSWORD@HOST:5432/homelab')
    .option('--password-stdin', "read the spark role's password from stdin instead of generating one")
    .option('--print-sql', 'print the SQL for a DBA to run in psql instead of running it')
    .addOption(new Option('--isolation <mode>', 'shared: sparks use the spark role; role: one role per spark (PostgreSQL 16+)').choices(['shared', 'role']))
    .action(async (flags: SetupFlags, command: Command) => setupDb(contextFor(command), flags));
  admin
    .command('rotate-password')
    .description("give the spark role a new password (shown once)")
    .option('-y, --yes', 'rotate even though sparks use the current password')
    .action(async (flags: { yes?: boolean }, command: Command) => rotate(contextFor(command), Boolean(flags.yes)));
  for (const command of admin.commands) command.exitOverride().showSuggestionAfterError(true);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** The new password, alone on its own line on stdout, after a line of talk on stderr. Never registered as a secret: it must show. */
function showPassword(ctx: Context, role: string, password: string, where: 'stdout' | 'stderr'): void {
  ctx.ui.info(`New password of role ${role} (shown once; store it as POSTGRES_PASSWORD / in the spark-cli-config Secret):`);
  (where === 'stdout' ? process.stdout : process.stderr).write(`${password}\n`);
}

async function setupDb(ctx: Context, flags: SetupFlags): Promise<void> {
  const { registerSecret } = await import('../../redact.js');
  if (flags.superuserUrl) registerSecret(flags.superuserUrl);
  const config = await ctx.config({ SPARK_DB_ISOLATION: flags.isolation });
  let password: string | undefined;
  if (flags.passwordStdin) {
    password = await readStdin();
    if (!password) throw usageError('--password-stdin: stdin was empty.', "Pipe the password in, e.g. printf '%s' \"$PASSWORD\" | spark admin setup-db --password-stdin ...");
    registerSecret(password);
  }
  const { setupDatabase } = await import('../../database/setup.js');
  const role = config.require('POSTGRES_USER');
  const result = await setupDatabase({
    superuserUrl: flags.superuserUrl,
    printSql: flags.printSql,
    role,
    adminDatabase: config.require('POSTGRES_DB'),
    isolation: config.get('SPARK_DB_ISOLATION') === 'role' ? 'role' : 'shared',
    sslmode: config.get('POSTGRES_SSLMODE') as SslMode | undefined,
    password,
  });
  const { ui } = ctx;
  if (ui.json) {
    ui.result({ role, changed: result.changes.length > 0, changes: result.changes, password: result.password ?? null, sql: result.sql ?? null, serverVersion: result.serverVersion ?? null, attributes: result.report ?? null }, () => '');
    return;
  }
  if (result.sql !== undefined) {
    process.stdout.write(result.sql);
    if (result.password) showPassword(ctx, role, result.password, 'stderr');
    return;
  }
  ui.info(result.changes.length ? result.changes.map((c) => `${ui.green('✓')} ${c}`).join('\n') : `Nothing to change: role ${role} is already set up.`);
  const r = result.report!;
  const yesNo = (on: boolean) => (on ? 'yes' : 'no');
  const lines = [
    `${ui.bold('role')}               ${role}  (PostgreSQL ${result.serverVersion})`,
    `Login              ${yesNo(r.attributes.login)}`,
    `Create DB          ${yesNo(r.attributes.createdb)}`,
    `Superuser          ${yesNo(r.attributes.superuser)}`,
    `Create role        ${yesNo(r.attributes.createrole)}`,
    `Connect on ${r.connectOn.padEnd(7)} ${yesNo(r.connectGranted)}`,
  ];
  ui.result(null, () => lines.join('\n'));
  if (result.password) showPassword(ctx, role, result.password, 'stdout');
}

async function rotate(ctx: Context, yes: boolean): Promise<void> {
  const config = await ctx.config();
  const { settingsFromConfig } = await import('../../database/settings.js');
  const { rotatePassword } = await import('../../database/rotate.js');
  const result = await rotatePassword(settingsFromConfig(config), { yes });
  const { ui } = ctx;
  if (ui.json) {
    ui.result({ role: result.role, password: result.password, affected: result.affected }, () => '');
    return;
  }
  ui.info(`${ui.green('✓')} the password of role ${result.role} was changed (sent as a SCRAM verifier)`);
  if (result.affected.length) ui.warn(`these sparks still carry the old password in DATABASE_URL: ${result.affected.join(', ')}`);
  showPassword(ctx, result.role, result.password, 'stdout');
}
