import { Option, type Command } from 'commander';
import { SparkError, usageError } from '../../errors.js';
import type { SslMode } from '../../database/settings.js';
import type { Config } from '../../config/index.js';
import { contextFor, type Context } from '../context.js';
import { jsonText } from '../printable.js';

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
    .description("give the spark role a new password; rewrite every shared-role spark's DATABASE_URL and the spark-cli-config Secret")
    .option('-y, --yes', 'do not ask: rotate, rewrite and restart the sparks, store the password in the Secret')
    .action(async (flags: { yes?: boolean }, command: Command) => rotate(contextFor(command), Boolean(flags.yes)));
  admin
    .command('repair')
    .description("rewrite the DATABASE_URL of sparks that can no longer log in with the role's current password, and restart them")
    .option('-y, --yes', 'do not ask')
    .action(async (flags: { yes?: boolean }, command: Command) => repair(contextFor(command), Boolean(flags.yes)));
  for (const command of admin.commands) command.exitOverride().showSuggestionAfterError(true);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** A terminal to ask on, whatever the render mode: the question goes to stderr, so --json's stdout stays data. */
function confirmer(ctx: Context): ((question: string) => Promise<boolean>) | undefined {
  return process.stdin.isTTY && process.stderr.isTTY ? (question) => ctx.ui.confirm(question) : undefined;
}

/**
 * The one way a new password is shown: once, unmasked (it is a registered secret everywhere else),
 * alone on its line — in the JSON result, or on stdout (stderr beside --print-sql's script).
 */
async function showNewPassword(ctx: Context, role: string, password: string, output: { json: unknown } | 'stdout' | 'stderr'): Promise<void> {
  if (typeof output === 'object') return ctx.ui.revealOnce(password, `${jsonText(output.json)}\n`);
  ctx.ui.info(`New password of role ${role} (shown once; store it as POSTGRES_PASSWORD / in the spark-cli-config Secret):`);
  ctx.ui.revealOnce(password, `${password}\n`, output);
}

async function setupDb(ctx: Context, flags: SetupFlags): Promise<void> {
  const { registerSecret } = await import('../../redact.js');
  if (flags.superuserUrl) {
    registerSecret(flags.superuserUrl);
    // A malformed URL is a usage error before any configuration, cluster or server is read.
    (await import('../../database/connect.js')).targetFromUrl(flags.superuserUrl, 'postgres');
  }
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
  // Masked from here on everywhere but its one showing.
  registerSecret(result.password);
  const { ui } = ctx;
  if (result.sql !== undefined) {
    if (ui.json) {
      const json = { role, changed: result.changes.length > 0, changes: result.changes, password: result.password ?? null, sql: result.sql, serverVersion: result.serverVersion ?? null, attributes: null };
      return result.password ? showNewPassword(ctx, role, result.password, { json }) : ui.result(json, () => '');
    }
    ui.print(result.sql);
    if (result.password) await showNewPassword(ctx, role, result.password, 'stderr');
    return;
  }
  const storedIn = result.password ? await storeInCluster(ctx, config, result.password, Boolean(flags.yes)) : null;
  const json = { role, changed: result.changes.length > 0, changes: result.changes, password: storedIn ? null : (result.password ?? null), storedIn, sql: null, serverVersion: result.serverVersion ?? null, attributes: result.report ?? null };
  if (ui.json) return json.password ? showNewPassword(ctx, role, json.password, { json }) : ui.result(json, () => '');
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
  if (json.password) await showNewPassword(ctx, role, json.password, 'stdout');
}

/**
 * Put setup-db's new password into the spark-cli-config Secret (PRODUCT: the Secret is a config
 * source) with --yes or a yes at the terminal. Returns where it was stored, or null: then it is shown.
 */
async function storeInCluster(ctx: Context, config: Config, password: string, yes: boolean): Promise<string | null> {
  const { hasClusterConfig } = await import('../../backends.js');
  if (!hasClusterConfig(config)) return null;
  const { cliConfigStore } = await import('../../runtimes/kubernetes/cli-config-secret.js');
  const store = cliConfigStore(clusterOf(config));
  const confirm = confirmer(ctx);
  if (!yes && !confirm) {
    ctx.ui.info(`Not written to the spark-cli-config Secret: no terminal to ask (--yes writes it).`);
    return null;
  }
  if (!yes && !(await confirm!(`Write the new password into ${store.where}?`))) return null;
  try {
    await store.write({ POSTGRES_PASSWORD: password });
  } catch (error) {
    ctx.ui.warn(`could not write ${store.where}: ${(error as Error).message}`);
    return null;
  }
  ctx.ui.info(`${ctx.ui.green('✓')} stored as POSTGRES_PASSWORD in ${store.where} (read it with: source deploy/load-env.sh)`);
  return store.where;
}

const clusterOf = (config: Config) => ({ KUBECONFIG: config.get('KUBECONFIG'), SPARK_CONTEXT: config.get('SPARK_CONTEXT'), SPARK_NAMESPACE: config.get('SPARK_NAMESPACE') });

async function rotate(ctx: Context, yes: boolean): Promise<void> {
  const config = await ctx.config();
  const { openPasswordPorts } = await import('../../backends.js');
  const { rotatePassword } = await import('../../core/rotate.js');
  const { generatePassword } = await import('../../database/scram.js');
  const ports = await openPasswordPorts(config);
  const report = await rotatePassword(ports, { yes, confirm: confirmer(ctx) }, generatePassword).finally(() => ports.close());
  const { ui } = ctx;
  if (report.failed.length) process.exitCode = 1;
  if (ui.json) return report.password ? showNewPassword(ctx, report.role, report.password, { json: report }) : ui.result(report, () => '');
  ui.info(`${ui.green('✓')} the password of role ${report.role} was changed (sent as a SCRAM verifier)`);
  if (report.storedIn) ui.info(`${ui.green('✓')} stored as POSTGRES_PASSWORD in ${report.storedIn}`);
  if (report.rewritten.length) ui.info(`${ui.green('✓')} DATABASE_URL rewritten and spark restarted: ${report.rewritten.join(', ')}`);
  if (report.ownRole.length) ui.info(`  unchanged (own role): ${report.ownRole.join(', ')}`);
  if (report.failed.length) ui.warn(`could not update: ${report.failed.map((f) => `${f.name} (${f.error})`).join(', ')} — they cannot log in until you run: spark admin repair`);
  if (report.unreachable.length) ui.warn(`these spark databases use role ${report.role} but have no spark here to update, so their sparks cannot log in until their DATABASE_URL carries the new password: ${report.unreachable.join(', ')}`);
  if (report.password && ports.store) ui.info(`Not written to ${ports.store.where}: no terminal to ask (--yes writes it).`);
  if (report.password) await showNewPassword(ctx, report.role, report.password, 'stdout');
}

async function repair(ctx: Context, yes: boolean): Promise<void> {
  const config = await ctx.config();
  const { openPasswordPorts } = await import('../../backends.js');
  const { repairSparks } = await import('../../core/rotate.js');
  const password = config.require('POSTGRES_PASSWORD');
  const ports = await openPasswordPorts(config);
  try {
    if (!ports.sparks) {
      throw new SparkError('spark admin repair rewrites the DATABASE_URL in sparks\' Secrets, and no Kubernetes cluster is configured.', {
        hint: 'Set KUBECONFIG or pass --context to name the cluster of the sparks.',
        code: 'NO_CLUSTER',
      });
    }
    const report = await repairSparks({ account: ports.account, sparks: ports.sparks }, { yes, confirm: confirmer(ctx) }, password);
    if (report.failed.length || report.unrepairable.length) process.exitCode = 1;
    const { ui } = ctx;
    ui.result(report, () => {
      const lines: string[] = [];
      if (report.repaired.length) lines.push(`${ui.green('✓')} DATABASE_URL rewritten with the current password of role ${report.role}, spark restarted: ${report.repaired.join(', ')}`);
      if (!report.repaired.length && !report.failed.length && !report.unrepairable.length) lines.push(`${ui.green('✓')} nothing to repair: every spark's DATABASE_URL logs in (${report.ok.length})`);
      for (const f of report.failed) lines.push(`${ui.red('✗')} ${f.name}: could not rewrite: ${f.error}`);
      for (const u of report.unrepairable) lines.push(`${ui.red('✗')} ${u.name}: ${u.reason} (not a password that repair can fix)`);
      return lines.join('\n');
    });
  } finally {
    await ports.close();
  }
}
