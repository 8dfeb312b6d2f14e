/**
 * The database checks of `spark create --test` and `spark doctor`: each a ✓/✗ line with its fix.
 * They open their own connection so a failure is classified, and leave nothing behind.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import type { CheckResult } from '../core/ports.js';
import { SparkError } from '../errors.js';
import { connect } from './connect.js';
import { queryError } from './errors.js';
import { quoteIdent } from './quote.js';
import { readRole, serverVersionNum } from './roles.js';
import type { DatabaseSettings } from './settings.js';
import { ROLE_ISOLATION_MIN_VERSION } from './setup.js';

/** Throwaway databases of the self-test; no spark name can look like this (no "_" in spark names). */
export const SELFTEST_PREFIX = 'spark_selftest_';
/** FORCE needs PostgreSQL 13. */
export const MIN_SERVER_VERSION = 130000;

export const MIGRATION_STEPS = [
  'Create the spark role: spark admin setup-db --superuser-url postgresql://postgres:PASSWORD@HOST:5432/homelab',
  'Update the Kubernetes secret with the new credentials (POSTGRES_USER=spark, POSTGRES_PASSWORD)',
  'Reload the environment: source load-env.sh',
  'Test the new configuration: spark create --test',
  'Existing sparks keep working (they use their own database connections); new sparks use the spark role',
];

const failed = (id: string, title: string, error: unknown): CheckResult => {
  const e = error instanceof SparkError ? error : queryError(error, {});
  return { id, title, status: 'fail', blocking: true, detail: e.message, fix: e.hint };
};

export async function databaseChecks(settings: DatabaseSettings): Promise<CheckResult[]> {
  const where = `${settings.user}@${settings.host}:${settings.port}/${settings.database}`;
  const connection = { id: 'db-connection', title: `Connect to PostgreSQL as ${settings.user}` };
  let client: Client;
  try {
    client = await connect(settings);
  } catch (error) {
    const skipped = ['db-version', 'db-role', 'db-selftest'].map((id) => ({ id, title: id.replace('db-', 'PostgreSQL '), status: 'skip' as const, detail: 'no connection' }));
    return [failed(connection.id, connection.title, error), ...skipped];
  }
  try {
    const results: CheckResult[] = [{ ...connection, status: 'ok', detail: `${where} (sslmode=${settings.sslmode})` }];
    const version = await serverVersionNum(client);
    results.push(
      version.num >= MIN_SERVER_VERSION
        ? { id: 'db-version', title: 'PostgreSQL version', status: 'ok', detail: `PostgreSQL ${version.text}` }
        : { id: 'db-version', title: 'PostgreSQL version', status: 'fail', blocking: true, detail: `PostgreSQL ${version.text}`, fix: 'spark needs PostgreSQL 13 or later (DROP DATABASE … WITH (FORCE)); upgrade the server.' },
    );
    results.push(...roleChecks(settings, version.num, await readRole(client, settings.user, false)));
    results.push(await selfTest(client, settings));
    return results;
  } catch (error) {
    return [{ ...connection, status: 'ok', detail: where }, failed('db-checks', 'Inspect the PostgreSQL role', error)];
  } finally {
    await client.end().catch(() => {});
  }
}

/** Role attributes, judged. Pure, so each verdict is testable on its own. */
export function roleChecks(settings: DatabaseSettings, serverVersion: number, role: Awaited<ReturnType<typeof readRole>>): CheckResult[] {
  const user = quoteIdent(settings.user);
  if (!role) return [{ id: 'db-role', title: `Role ${settings.user} exists`, status: 'fail', blocking: true, fix: 'spark admin setup-db --superuser-url URL' }];
  const results: CheckResult[] = [
    role.createdb
      ? { id: 'db-createdb', title: `Role ${settings.user} can create databases`, status: 'ok' }
      : { id: 'db-createdb', title: `Role ${settings.user} can create databases`, status: 'fail', blocking: true, fix: `As a superuser: ALTER USER ${user} CREATEDB;` },
  ];
  if (role.superuser) {
    results.push({
      id: 'db-superuser',
      title: `Role ${settings.user} is a superuser`,
      status: 'warn',
      blocking: false,
      detail: 'spark should run as a least-privileged role, not a superuser',
      fix: MIGRATION_STEPS.map((s, i) => `${i + 1}. ${s}`).join('\n'),
    });
  }
  const roleMode = settings.isolation === 'role';
  if (role.createrole && serverVersion < ROLE_ISOLATION_MIN_VERSION) {
    results.push({
      id: 'db-createrole',
      title: `DANGER: role ${settings.user} has CREATEROLE on PostgreSQL < 16`,
      status: 'warn',
      blocking: false,
      detail: 'before 16 CREATEROLE is near-superuser (it can grant itself pg_execute_server_program)',
      fix: `As a superuser: ALTER USER ${user} NOCREATEROLE;`,
    });
  }
  if (roleMode) {
    const ok = serverVersion >= ROLE_ISOLATION_MIN_VERSION && role.createrole;
    results.push({
      id: 'db-isolation',
      title: 'Isolation mode "role" is possible',
      status: ok ? 'ok' : 'fail',
      blocking: !ok,
      ...(ok ? {} : {
        detail: serverVersion < ROLE_ISOLATION_MIN_VERSION ? 'needs PostgreSQL 16 or later' : `${settings.user} lacks CREATEROLE`,
        fix: serverVersion < ROLE_ISOLATION_MIN_VERSION ? 'Set SPARK_DB_ISOLATION=shared, or upgrade the server.' : 'spark admin setup-db --superuser-url URL --isolation role',
      }),
    });
  }
  return results;
}

async function selfTest(client: Client, settings: DatabaseSettings): Promise<CheckResult> {
  const title = 'Create and drop a throwaway database';
  try {
    const leftovers = await dropSelftestLeftovers(client);
    const name = `${SELFTEST_PREFIX}${randomBytes(6).toString('hex')}`;
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`).catch((error: unknown) => {
      throw queryError(error, { operation: 'create', name, role: settings.user });
    });
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch((error: unknown) => {
      throw queryError(error, { operation: 'drop', name, role: settings.user });
    });
    const detail = leftovers.length ? `also removed ${leftovers.length} left by an interrupted run: ${leftovers.join(', ')}` : undefined;
    return { id: 'db-selftest', title, status: 'ok', detail };
  } catch (error) {
    return failed('db-selftest', title, error);
  }
}

/** Throwaway databases an interrupted self-test left, owned by the current role. */
export async function listSelftestLeftovers(client: Pick<Client, 'query'>): Promise<string[]> {
  const { rows } = await client.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user) ORDER BY 1`,
    [SELFTEST_PREFIX],
  );
  return rows.map((r) => r.datname);
}

export async function dropSelftestLeftovers(client: Pick<Client, 'query'>): Promise<string[]> {
  const names = await listSelftestLeftovers(client);
  for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  return names;
}
