import { Option, type Command } from 'commander';
import { usageError } from '../../errors.js';
import type { SslMode } from '../../database/settings.js';
import type { Config } from '../../config/index.js';
import { contextFor, type Context } from '../context.js';

interface SetupFlags {
  yes?: boolean;
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
    .option('-y, --yes', 'write the new password into the spark-cli-config Secret without asking')
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
  if (result.password && !(await storeInCluster(ctx, config, result.password, Boolean(flags.yes)))) showPassword(ctx, role, result.password, 'stdout');
}

/**
 * Offer to put the new password into the spark-cli-config Secret (PRODUCT: the Secret is a config
 * source), after confirmation. Returns true when stored, so the password need not be shown.
 */
async function storeInCluster(ctx: Context, config: Config, password: string, yes: boolean): Promise<boolean> {
  const { hasClusterConfig } = await import('../../backends.js');
  if (!hasClusterConfig(config) || ctx.ui.json) return false;
  if (!yes && !ctx.ui.options.interactive) {
    ctx.ui.info(`Not written to the spark-cli-config Secret: no terminal to ask (--yes writes it).`);
    return false;
  }
  if (!yes && !(await ctx.ui.confirm(`Write the new password into the spark-cli-config Secret in namespace ${config.get('SPARK_NAMESPACE')}?`))) return false;
  const { writeCliConfigSecretValues } = await import('../../runtimes/kubernetes/cli-config-secret.js');
  await writeCliConfigSecretValues(clusterOf(config), { POSTGRES_PASSWORD: password });
  ctx.ui.info(`${ctx.ui.green('✓')} stored as POSTGRES_PASSWORD in Secret spark-cli-config (read it with: source deploy/load-env.sh)`);
  return true;
}

const clusterOf = (config: Config) => ({ KUBECONFIG: config.get('KUBECONFIG'), SPARK_CONTEXT: config.get('SPARK_CONTEXT'), SPARK_NAMESPACE: config.get('SPARK_NAMESPACE') });

async function rotate(ctx: Context, yes: boolean): Promise<void> {
  const config = await ctx.config();
  const { ui } = ctx;
  const { settingsFromConfig } = await import('../../database/settings.js');
  const { rotatePassword } = await import('../../database/rotate.js');
  const { hasClusterConfig } = await import('../../backends.js');
  const role = config.require('POSTGRES_USER');
  const oldPassword = config.get('POSTGRES_PASSWORD');
  const carriesOld = (url: URL) => decodeURIComponent(url.username) === role && decodeURIComponent(url.password) === oldPassword;
  const cluster = hasClusterConfig(config) ? await import('../../runtimes/kubernetes/cli-config-secret.js') : undefined;
  // Sparks whose DATABASE_URL carries the old password would break: list them and ask first.
  const sparks = cluster ? (await cluster.rewriteSparkDatabaseUrls(clusterOf(config), carriesOld, 'unused', { dryRun: true })).changed : [];
  if (sparks.length && !yes) {
    const ok = ui.options.interactive && (await ui.confirm(`Rotate, then rewrite DATABASE_URL and restart ${sparks.length} spark(s): ${sparks.join(', ')}?`));
    if (!ok) throw usageError(`Not rotated: sparks ${sparks.join(', ')} use the current password.`, 'Run again with --yes to rotate and update them, or use SPARK_DB_ISOLATION=role (PostgreSQL 16+) so sparks have their own roles.');
  }
  const result = await rotatePassword(settingsFromConfig(config), { yes: yes || sparks.length > 0 });
  if (ui.json) {
    ui.result({ role: result.role, password: result.password, affected: result.affected }, () => '');
    return;
  }
  ui.info(`${ui.green('✓')} the password of role ${result.role} was changed (sent as a SCRAM verifier)`);
  if (cluster) {
    const rewritten = await cluster.rewriteSparkDatabaseUrls(clusterOf(config), carriesOld, result.password);
    if (rewritten.changed.length) ui.info(`${ui.green('✓')} updated DATABASE_URL and restarted: ${rewritten.changed.join(', ')}`);
    if (rewritten.failed.length) ui.warn(`could not update: ${rewritten.failed.map((f) => `${f.name} (${f.error})`).join(', ')} — run spark admin rotate-password again or fix their Secrets by hand`);
  } else if (result.affected.length) {
    ui.warn(`these sparks still carry the old password in DATABASE_URL: ${result.affected.join(', ')}`);
  }
  if (!(await storeInCluster(ctx, config, result.password, yes))) showPassword(ctx, result.role, result.password, 'stdout');
}
